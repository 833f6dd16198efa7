import Baton
import BatonJQ
import BatonTestSupport
import Testing

/// The strict scanner that lets seeding and sql parameters skip jq must agree with jq on
/// everything it answers, and every text it calls strict must be one Postgres stores.
@Suite("JSON scan")
struct JSONScanTests {
    static let strict = [
        #"{"id":1,"name":"Ada"}"#, #"  { "id" : 1 , "name" : "Ada" }  "#, "[]", "{}", "0", "-0", "-12.5e+3", "1E2",
        #""plain""#, #""esc\"aped\n\u00e9\ud83d\ude00""#, "true", "false", "null", #"{"a":{"b":[1,{"c":null}]}}"#,
        #"{"id":1,"id":2}"#, #"{"n":12345678901234567890}"#, "1e9999", "-1e-9999", String(repeating: "9", count: 1000), #"{"s":"tab\tnewline"}"#, "\t[1,\r\n2]\n",
    ]
    static let lenient = [
        "nan", "01", ".5", "1.", "+1", "-", "1e", "[1,]", "{\"a\":1,}", "{a:1}", "'x'", "\"raw\ttab\"", "\"\\x\"",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "[1] [2]", "", "   ", "\"unterminated", "{\"a\" 1}", "tru", "nul",
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        "-1e-99999", "1e00001", "0." + String(repeating: "0", count: 20000) + "1",
    ]

    @Test func strictTextsAreStrictAndLenientOnesAreNot() {
        for text in Self.strict {
            #expect(JSONScan.isStrict(text), "\(text)")
            #expect(throws: Never.self) { try JSON.compact(text) }
        }
        for text in Self.lenient { #expect(!JSONScan.isStrict(text), "\(text)") }
    }

    @Test func everyAnswerIsJqsAnswer() throws {
        let documents = Self.strict + Self.lenient + [
            #"{"id":"k-1","n":1.50,"big":1e400,"neg":-0.0,"t":true,"nested":{"id":7,"deep":{"x":"y"}}}"#,
            #"{"id":null,"nested":null}"#, #"{"id":[1,2]}"#, #"{"id":{"a":1}}"#, #"[{"id":1}]"#, #"{"i\u0064":5}"#,
            #"{"id":"caf\u00e9"}"#, #"{"id":"\/slash"}"#, #"{"nested":{"id":"x","id":"y"}}"#, #"{"nested":3}"#,
        ] + Self.integers.map { #"{"id":\#($0)}"# }
        for path in [".id", ".nested.id", ".nested.deep.x", ".missing", ".n", ".big", ".neg", ".t"] {
            let names = try #require(JSONScan.simplePath(ofProgram: path))
            let program = try JQProgram(path)
            for document in documents {
                let scanned = JSONScan.lookup(names, in: document)
                guard scanned != .unknown else { continue }
                // What the key derivation made of jq's answer before the scan existed.
                let outputs = try program.values(json: document)
                #expect(outputs.count == 1, "\(path) on \(document)")
                let jq = outputs.first?.plainText
                switch scanned {
                case .text(let text):
                    // Except an integer a double cannot hold: the scan keeps its digits, jq rounds it.
                    let keptDigits = text.count > 15 && text.allSatisfy { $0.isNumber || $0 == "-" }
                        && Double(text).map(JSON.format) == jq
                    #expect(text == jq || keptDigits, "\(path) on \(document)")
                case .null, .missing: #expect(jq == nil, "\(path) on \(document)")
                case .unknown: break
                }
            }
        }
    }

    /// Integer literals around the scan's fast path (up to 15 digits: the literal is the text).
    static let integers = ["0", "-0", "7", "-12", "100", "10.0", "999999999999999", "-123456789012345", "1000000000000000",
                           "1234567890123456", "9007199254740993", "-9007199254740993", "0.5", "1e2"]

    /// Seeding tells the scan that a record is strict (the reader checked it): the answer is
    /// the same as when the scan checks it itself, and not-objects are still scanned.
    @Test func aTextKnownStrictIsLookedUpAlike() throws {
        let documents = Self.strict + Self.integers.map { #" {"id":\#($0), "nested": {"id": "x"}} "# }
        for path in [".id", ".nested.id", ".missing"] {
            let names = try #require(JSONScan.simplePath(ofProgram: path))
            for document in documents where JSONScan.isStrict(document) {
                #expect(JSONScan.lookup(names, in: document, strict: true) == JSONScan.lookup(names, in: document), "\(path) on \(document)")
            }
        }
        #expect(JSONScan.lookup(["id"], in: #" {"id": 123456789012345} "#, strict: true) == .text("123456789012345"))
    }

    @Test func onlyMemberPathsAreSimple() {
        #expect(JSONScan.simplePath(ofProgram: ".id")?.map(String.init) == ["id"])
        #expect(JSONScan.simplePath(ofProgram: " .a.b_2 ")?.map(String.init) == ["a", "b_2"])
        for program in [".", ".a[0]", ".a | .b", ".\"a\"", "..", ".a.", ".2a", "(.id)", ".id // 0", "$x"] {
            #expect(JSONScan.simplePath(ofProgram: program) == nil, "\(program)")
        }
    }

    /// The http stage's `into:`, `status_field` and `keep_headers` on the item's text.
    @Test func settingAMemberKeepsEveryOtherLiteralAsWritten() throws {
        let set = { (name: String, value: String, text: String) in JSONScan.settingMember(name, to: value, in: text) }
        #expect(set("r", "1", #" { "a" : 1.50 , "b" : [ 1, "x y" ] } "#) == #"{"a":1.50,"b":[1,"x y"],"r":1}"#)
        #expect(set("r", "1", "{}") == #"{"r":1}"#)
        #expect(set("r", "1", " { } ") == #"{"r":1}"#)
        #expect(set("a", #"{"n":12345678901234567891}"#, #"{"a": {"old": true}, "z": 0}"#) == #"{"a":{"n":12345678901234567891},"z":0}"#)
        // The last of duplicates is the member jq sees: that one is set.
        #expect(set("a", "3", #"{"a": 1, "a": 2}"#) == #"{"a":1,"a":3}"#)
        #expect(set("quote\"d", "1", "{}") == #"{"quote\"d":1}"#)
        // An escaped member name is decoded to tell: `\u0061` is `a`, `a\\b` is not `ab`.
        #expect(set("a", "2", #"{"\u0061": 1, "n": 9007199254740993}"#) == #"{"\u0061":2,"n":9007199254740993}"#)
        #expect(set("ab", "2", #"{"a\\b": 1.50}"#) == #"{"a\\b":1.50,"ab":2}"#)
        // Not decided here: not an object, not strict.
        for text in ["[1]", "1", #""{}""#, "{a: 1}", "{\"a\": 01}", "{\"a\": 1"] {
            #expect(set("a", "1", text) == nil, "\(text)")
        }
        // Whatever it gives is what jq gives for `.name = value`.
        for text in [#"{"x": [1, {"y": "z"}], "name": null}"#, #"{"x":1}"#] {
            let jq = try JSON(parsing: try JQProgram(".name = 7").run(json: text)[0])
            #expect(try JSON(parsing: try #require(set("name", "7", text))) == jq, "\(text)")
        }
    }

    @Test func postgresStoresEveryStrictText() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            for text in Self.strict {
                let stored = try conn.query("SELECT $1::jsonb::text", [text]).rows.first?.decode(String.self, 0)
                #expect(stored != nil, "\(text)")
            }
        }
    }
}
