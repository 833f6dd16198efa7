@testable import Baton
import Testing

/// The stream protocol's pure parts: answer lines, bounded line splitting.
@Suite("Stream exec protocol")
struct StreamProtocolTests {
    private func parse(_ text: String, truncated: Bool = false) -> Result<CoprocessAnswer, CoprocessAnswer.Violation> {
        CoprocessAnswer.parse(LineSplitter.Line(bytes: Array(text.utf8), truncated: truncated))
    }

    @Test func answersAreItemsOrErrors() {
        #expect(parse(#"{"items": [{"a": 1}, 2, "x"]}"#) == .success(.items([#"{"a":1}"#, "2", #""x""#])))
        #expect(parse(#"{"items": []}"#) == .success(.items([])))
        #expect(parse(#"{"error": "bad", "permanent": true, "class": "validation"}"#)
            == .success(.error(message: "bad", permanent: true, errorClass: "validation")))
        #expect(parse(#"{"error": "busy"}"#) == .success(.error(message: "busy", permanent: false, errorClass: nil)))
    }

    @Test(arguments: [
        ("Loading model...", "a line that is not JSON: Loading model..."),
        ("[1, 2]", "a line that is not a JSON object: [1, 2]"),
        (#"{"items": {"a": 1}}"#, #"an object with the keys [items]: {"items": {"a": 1}}"#),
        (#"{"items": [], "error": "x"}"#, #"an object with the keys [items, error]: {"items": [], "error": "x"}"#),
        (#"{"error": "x", "permanent": "yes"}"#, #"`permanent` must be true or false: {"error": "x", "permanent": "yes"}"#),
    ])
    func anythingElseBreaksTheProtocol(line: String, reason: String) {
        #expect(parse(line) == .failure(CoprocessAnswer.Violation(reason: reason)))
    }

    @Test func anOverlongLineIsAViolation() {
        guard case .failure(let violation) = parse(#"{"items": ["#, truncated: true) else {
            Issue.record("a truncated line was accepted")
            return
        }
        #expect(violation.reason.hasPrefix("an answer line longer than"))
    }

    @Test func linesAreSplitAcrossChunksAndCutAtTheLimit() {
        var splitter = LineSplitter(maxLine: 8)
        var lines: [LineSplitter.Line] = []
        for chunk in ["ab", "c\r\nde", "f\n0123456789ABC\nlast"] {
            Array(chunk.utf8).withUnsafeBytes { splitter.feed($0) { lines.append($0) } }
        }
        #expect(lines.map(\.text) == ["abc", "def", "01234567"])
        #expect(lines.map(\.truncated) == [false, false, true])
        #expect(splitter.finish()?.text == "last")
        #expect(splitter.finish() == nil)
    }
}
