@testable import Baton
import BatonJQ
import Testing

/// How `baton test` compares and shows JSON.
@Suite("Test output: JSON comparison and diffs")
struct JSONComparisonTests {
    @Test func valuesCompareRegardlessOfKeyOrderAndNumberSpelling() throws {
        #expect(JSONComparison.equal(try JSON(parsing: #"{"a": 1, "b": [1.0, {"y": 2, "x": 1}]}"#),
                                     try JSON(parsing: #"{"b": [1, {"x": 1, "y": 2}], "a": 1.0}"#)))
        #expect(!JSONComparison.equal(try JSON(parsing: "[1, 2]"), try JSON(parsing: "[2, 1]")))
    }

    @Test func theDiffMarksOnlyWhatDiffersAndFoldsTheRest() {
        let expected = (1...12).map { "line \($0)" }.joined(separator: "\n")
        let actual = expected.replacingOccurrences(of: "line 10", with: "line ten")
        #expect(LineDiff.lines(expected: expected, actual: actual, context: 1) == [
            "  …", "  line 9", "- line 10", "+ line ten", "  line 11", "  …",
        ])
    }

    @Test func prettyPrintingSortsKeys() throws {
        #expect(JSONComparison.pretty(try JSON(parsing: #"{"b": [], "a": {"d": null, "c": true}}"#)) == """
            {
              "a": {
                "c": true,
                "d": null
              },
              "b": []
            }
            """)
    }
}
