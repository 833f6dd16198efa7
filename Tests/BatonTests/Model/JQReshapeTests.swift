import Baton
import BatonJQ
import BatonTestSupport
import Testing

/// The reshape programs run without libjq (`JQReshape`) must print exactly what jq prints,
/// and leave to jq whatever they are not sure of.
@Suite("jq reshape without libjq")
struct JQReshapeTests {
    static let programs = [
        "{id, name: (.name | ascii_downcase), score: (.value * 1.5)}",
        "{id,name:(.name|ascii_upcase),v:(.value+2),w:(.value - 0.25),q:(.value / 4)}",
        " { a: .name , b: .tags, flag, id } ",
        "{n: (.value * 3)}",
    ]

    /// Inputs of every kind: what jq and the reshape must agree on, or where it must step aside.
    static let documents: [String] = {
        var documents = [
            #"{"id": 1, "name": "Item-1", "value": 1, "tags": ["a", "b"]}"#,
            #"{"id":"k-1","name":"ÀBC-é-Ω","value":0.1,"flag":true}"#,
            #"{"id":1.0,"name":"x","value":1e2,"flag":false}"#,
            #"{"id":-0,"name":"","value":-0.0}"#,
            #"{"id":12345678901234567890,"name":"big","value":1e16}"#,
            #"{"id":2,"name":"esc\"aped","value":3}"#,
            #"{"id":3,"name":"del\u007f","value":3}"#,
            "{\"id\":3,\"name\":\"raw del \u{7F}\",\"value\":3}",
            #"{"id":4,"name":null,"value":null}"#,
            #"{"id":5,"value":"12"}"#,
            #"{"id":6,"name":42,"value":true}"#,
            #"{"id":7,"name":"dup","name":"DUP2","value":7}"#,
            #"{"i\u0064":8,"name":"escaped key","value":8}"#,
            #"[1,2]"#, "42", #""text""#, "null", "nan", #"{"id":1,}"#,
            #"{"id":9,"name":"tiny","value":0.00001}"#, #"{"id":10,"name":"t","value":1e-300}"#,
            #"{"id":11,"name":"huge","value":1e300}"#, #"{"id":12,"name":"n","value":123456.789}"#,
        ]
        var generator = SystemRandomNumberGenerator()
        for id in 0..<300 {
            let value = [Double(Int.random(in: -1_000_000...1_000_000, using: &generator)), Double.random(in: -1e6...1e6, using: &generator),
                         Double.random(in: -1...1, using: &generator) / 1e3][id % 3]
            let letters = (0..<Int.random(in: 0...12, using: &generator)).map { _ in "aZ-09_ÉéxYQ".randomElement(using: &generator)! }
            documents.append(#"{"id":\#(id),"name":"\#(String(letters))","value":\#(value),"flag":\#(id % 2 == 0)}"#)
        }
        return documents
    }()

    @Test func everyAnswerIsJqsOutputText() throws {
        for source in Self.programs {
            let reshape = try #require(JQReshape(program: source), "\(source)")
            let program = try JQProgram(source)
            var answered = 0
            for document in Self.documents {
                guard let native = reshape.apply(document) else { continue }
                answered += 1
                let jq = try program.run(json: document)
                #expect(jq == [native], "\(source) on \(document)")
            }
            // The common inputs are answered here, not all handed to jq.
            #expect(answered >= 250, "\(source): \(answered)")
        }
    }

    @Test func onlyReshapesAreTakenAndEverythingElseGoesToJq() throws {
        for program in [".", ".id", "{id} | .id", "{a: .b.c}", "{a: (.b | length)}", "{a: .b | ascii_downcase}", "{a: (.b // 1)}",
                        "{a: (.b * .c)}", "{a: (1 * .b)}", "{a: (.b / 0)}", "{a: (.b *= 2)}", "{(.k): 1}", "{\"a\": .b}", "{a, a}",
                        "{if: 1}", "{a: $x}", "{}", "[.a]", "{a: (.b | ascii_downcase | length)}", "{a: (.b + 1 + 2)}"] {
            #expect(JQReshape(program: program) == nil, "\(program)")
        }
        // An input the reshape steps aside for gets jq's own answer, errors included.
        let reshape = try #require(JQReshape(program: "{n: (.name | ascii_downcase)}"))
        #expect(reshape.apply(#"{"name":null}"#) == nil)
        #expect(reshape.apply(#"{"name":"A\nB"}"#) == nil)
        #expect(reshape.apply(#"{"name":"AB"}"#) == #"{"n":"ab"}"#)
    }
}
