import BatonJQ
import Testing

@Suite("jq programs")
struct JQProgramTests {
    @Test func filterKeepsMatchingInputsOnly() throws {
        let program = try JQProgram("select(.stars > 10) | {id, stars}")
        #expect(try program.run(json: #"{"id": 1, "stars": 20, "x": true}"#) == [#"{"id":1,"stars":20}"#])
        #expect(try program.run(json: #"{"id": 2, "stars": 3}"#) == [])
    }

    @Test func fanOutGivesOneOutputPerElement() throws {
        let program = try JQProgram(".lines[] | {sku, qty}")
        let outputs = try program.run(json: #"{"lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}, {"sku": "c", "qty": 3}]}"#)
        #expect(outputs == [#"{"sku":"a","qty":1}"#, #"{"sku":"b","qty":2}"#, #"{"sku":"c","qty":3}"#])
    }

    @Test func emptyGivesNoOutput() throws {
        #expect(try JQProgram("empty").run(json: "{}") == [])
    }

    @Test func compileErrorCarriesJqsMessage() throws {
        let error = try #require(throws: JQError.self) { try JQProgram(".a | | .b") }
        #expect(error.kind == .compile)
        #expect(error.message.contains("syntax error"))
    }

    @Test func unknownFunctionIsACompileError() throws {
        let error = try #require(throws: JQError.self) { try JQProgram("nosuchfn(1)") }
        #expect(error.kind == .compile)
        #expect(error.message.contains("nosuchfn/1 is not defined"))
    }

    @Test func runtimeErrorIsThrownAndTheProgramStaysUsable() throws {
        let program = try JQProgram(".a.b")
        let error = try #require(throws: JQError.self) { try program.run(json: #"{"a": 5}"#) }
        #expect(error.kind == .runtime)
        #expect(error.message.contains("Cannot index number"))
        #expect(try program.run(json: #"{"a": {"b": "ok"}}"#) == [#""ok""#])
    }

    @Test func explicitErrorWithAnObjectMessage() throws {
        let error = try #require(throws: JQError.self) { try JQProgram(#"error({code: 7})"#).run(json: "null") }
        #expect(error.message.contains("\"code\":7"))
    }

    @Test func invalidInputIsReported() throws {
        let error = try #require(throws: JQError.self) { try JQProgram(".").run(json: "{nope") }
        #expect(error.kind == .invalidJSON)
    }

    @Test func valuesConvertToSwiftJSONAndBack() throws {
        let program = try JQProgram(".")
        let value = JSON.object([("b", .number(1)), ("a", .array([.string("ü\n"), .null, .bool(true), .number(1.5)]))])
        #expect(try program.values(json: value.serialized) == [value])
        #expect(value.serialized == #"{"b":1,"a":["ü\n",null,true,1.5]}"#)
        #expect(try JSON(parsing: value.serialized) == value)
        #expect(value["a"] == .array([.string("ü\n"), .null, .bool(true), .number(1.5)]))
    }

    @Test(arguments: [
        (#""abc""#, "abc"), ("42", "42"), ("null", nil), (#"{"a":1}"#, #"{"a":1}"#), ("1.25", "1.25"),
    ] as [(String, String?)])
    func plainTextOfValues(json: String, expected: String?) throws {
        #expect(try JSON(parsing: json).plainText == expected)
    }
}
