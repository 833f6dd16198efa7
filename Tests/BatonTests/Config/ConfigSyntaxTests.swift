@testable import Baton
import Testing

@Suite("Pipeline file syntax helpers")
struct ConfigSyntaxTests {
    @Test("durations", arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("5m", .seconds(300)), ("2h", .seconds(7200)),
        ("1d", .seconds(86_400)), ("1m30s", .seconds(90)), ("1.5s", .milliseconds(1500)), ("0s", .zero),
        ("1h1m1s1ms", .milliseconds(3_661_001)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationSyntax.parse(text) == expected)
    }

    @Test("not durations", arguments: ["", "30", "s", "30 s", "5 minutes", "-1s", "1.s", ".5s", "1w", "1m30", "99999999999d"])
    func rejectsNonDurations(text: String) {
        #expect(DurationSyntax.parse(text) == nil)
    }

    @Test("sizes", arguments: [
        ("1024", 1024), ("10MiB", 10 << 20), ("512KiB", 512 << 10), ("1MB", 1_000_000), ("2 kb", 2000), ("1GiB", 1 << 30), ("7B", 7),
    ])
    func parsesSizes(text: String, expected: Int) {
        #expect(ByteSizeSyntax.parse(text) == expected)
    }

    @Test("not sizes", arguments: ["", "0", "10 parsecs", "MiB", "-1KB", "0.1B"])
    func rejectsNonSizes(text: String) {
        #expect(ByteSizeSyntax.parse(text) == nil)
    }

    @Test("object fields of a jq program", arguments: [
        ("{id, stars, lang: .language}", ["id", "stars", "lang"] as [String]?),
        ("select(.stars > 10) | {id, stars, lang: .language}", ["id", "stars", "lang"]),
        (".[] | {\"quoted\": 1, $var, b: {nested: 1}}", ["quoted", "var", "b"]),
        ("{a: (.x | {y: 1}), c: [1, 2]}  # comment", ["a", "c"]),
        ("{}", []),
        ("{a} + {b}", nil),
        (".a |= {b}", nil),
        ("if .a then {b} else {c} end", nil),
        ("{(.k): 1}", nil),
        ("{\"\\(.k)\": 1}", nil),
        (".", nil),
        ("{a}, {b}", nil),
        ("{a} | .", nil),
    ])
    func extractsObjectFields(program: String, fields: [String]?) {
        #expect(JQObjectShape.fields(of: program) == fields)
    }

    @Test func suggestsCloseKeys() {
        let keys = PipelineKeys.stage
        #expect(KeySuggester.suggestion(for: "retyr", among: keys) == "retry")
        #expect(KeySuggester.suggestion(for: "concurency", among: keys) == "concurrency")
        #expect(KeySuggester.suggestion(for: "batch", among: keys) == "batch_size")
        #expect(KeySuggester.suggestion(for: "Name", among: keys) == "name")
        #expect(KeySuggester.suggestion(for: "frobnicate", among: keys) == nil)
        #expect(KeySuggester.suggestion(for: "x", among: keys) == nil)
    }

    @Test func splitsTemplatesIntoLiteralsAndExpressions() throws {
        #expect(try TemplateSyntax.pieces(of: "https://x/{{ .id }}/y{{ {a: .b} | tojson }}").get() == [
            .literal("https://x/"), .expression(".id"), .literal("/y"), .expression("{a: .b} | tojson"),
        ])
        #expect(try TemplateSyntax.pieces(of: "{{ \"}}\" }}").get() == [.expression("\"}}\"")])
        #expect(try TemplateSyntax.pieces(of: "plain").get() == [.literal("plain")])
        #expect(throws: TemplateSyntax.Problem.unclosed) { try TemplateSyntax.pieces(of: "a {{ .id").get() }
        #expect(throws: TemplateSyntax.Problem.empty) { try TemplateSyntax.pieces(of: "a {{  }}").get() }
    }

    @Test("YAML 1.2 core scalars", arguments: [
        ("true", ScalarKind.bool(true)), ("False", .bool(false)), ("yes", .string), ("NO", .string), ("~", .null), ("", .null),
        ("null", .null), ("42", .int(42)), ("-7", .int(-7)), ("0x1F", .int(31)), ("0o17", .int(15)), ("1.5", .float(1.5)),
        ("1e3", .float(1000)), ("007", .int(7)), ("1.2.3", .string), ("30s", .string), ("1_000", .string),
    ])
    func classifiesPlainScalars(text: String, kind: ScalarKind) {
        #expect(ScalarKind(plain: text) == kind)
    }

    @Test func interpolatorCollectsOnlyEnvironmentValuesAsSecrets() {
        let interpolator = EnvironmentInterpolator(environment: ["A": "alpha", "E": ""])
        let expansion = interpolator.expand("${A}-${B:-beta}-${E:-empty}-${E}-$${A}-$A")
        #expect(expansion.problems.isEmpty)
        #expect(expansion.value == "alpha-beta-empty--${A}-$A")
        #expect(expansion.secrets == ["alpha"])
        #expect(interpolator.expand("${B}").problems == [.unset(name: "B")])
        #expect(interpolator.expand("${B:?needed}").problems == [.required(name: "B", message: "needed")])
        #expect(interpolator.expand("${B C}").problems == [.malformed(reference: "${B C}")])
        #expect(interpolator.expand("no references").isInterpolated == false)
    }

    @Test func returningClauseIsFoundOutsideQuotesAndComments() {
        #expect(SQLTemplate("insert into t values (1) RETURNING id").hasKeyword("returning"))
        #expect(!SQLTemplate("insert into t values ('returning') -- returning").hasKeyword("returning"))
        #expect(!SQLTemplate("insert into \"returning\" values (1)").hasKeyword("returning"))
    }

    @Test func duplicateKeyLocatorFindsTheSecondOccurrence() {
        let block = "a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n"
        #expect(DuplicateKeyLocator.laterOccurrence(of: "c", after: .init(line: 3, column: 3), in: block) == .init(line: 5, column: 3, length: 1))
        let flow = "x: {\"k\": 1, \"j\": [1, {\"k\": 0}], \"k\": 2}"
        #expect(DuplicateKeyLocator.laterOccurrence(of: "k", after: .init(line: 1, column: 5), in: flow) == .init(line: 1, column: 33, length: 3))
        let nested = "a:\n  b: 1\nb: 2\n"
        #expect(DuplicateKeyLocator.laterOccurrence(of: "b", after: .init(line: 2, column: 3), in: nested) == nil)
    }
}
