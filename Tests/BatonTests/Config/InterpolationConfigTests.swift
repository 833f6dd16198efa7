import Baton
import Foundation
import Testing

@Suite("Environment interpolation in pipeline files")
struct InterpolationConfigTests {
    private let file = "/pipelines/interpolation.yaml"

    /// A one-stage pipeline around an `http:` block.
    private func httpPipeline(_ http: String, environment: [String: String]) throws -> Pipeline {
        let text = """
            pipeline: interpolation
            source:
              items: [{id: 1}]
            stages:
              - name: call
                http:
            \(http.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n"))
            """
        return try PipelineLoader.load(text: text, file: file, environment: environment)
    }

    private func config(of pipeline: Pipeline) throws -> HTTPStageConfig {
        try #require(pipeline.stages.first?.transform as? HTTPTransform).config
    }

    private func errors(_ body: () throws -> Pipeline) throws -> [PipelineError] {
        let thrown = #expect(throws: PipelineErrors.self) { _ = try body() }
        return try #require(thrown).errors
    }

    @Test func plainReferenceIsReplacedAndBecomesASecret() throws {
        let pipeline = try httpPipeline(#"url: "https://${HOST}/items/{{ .id }}""#, environment: ["HOST": "api.example.com"])
        #expect(try config(of: pipeline).url == "https://api.example.com/items/{{ .id }}")
        #expect(pipeline.secrets == ["api.example.com"])
        #expect(pipeline.definitionText?.contains("${HOST}") == true)
        #expect(pipeline.definitionText?.contains("api.example.com") == false)
    }

    /// Keywords, numbers, durations and booleans from the environment are not secrets: with
    /// `on_error: ${MODE}` and MODE=fail, every "fail" Baton printed became "***"
    /// ("***ed", "baton ***ures"). Text values still are.
    @Test func aKeywordOrNumberFromTheEnvironmentIsNoSecret() throws {
        let text = """
            pipeline: p
            defaults: { lease: "${LEASE}", concurrency: "${WORKERS}" }
            source:
              items: [{id: 1}]
              on_error: ${MODE}
            stages:
              - name: call
                http: { url: "https://${HOST}/x", failure_budget: "${BUDGET}" }
            """
        let pipeline = try PipelineLoader.load(text: text, file: "p.yaml", environment: [
            "MODE": "fail", "LEASE": "20s", "WORKERS": "3", "BUDGET": "40", "HOST": "api.example.com",
        ])
        #expect(pipeline.source.onError == .fail)
        #expect(pipeline.secrets == ["api.example.com"])
    }

    @Test("${VAR:-default} takes the default when VAR is unset or empty", arguments: [
        ([String: String](), "https://fallback.example.com/", [String]()),
        (["HOST": ""], "https://fallback.example.com/", []),
        (["HOST": "set.example.com"], "https://set.example.com/", ["set.example.com"]),
    ])
    func defaultValue(environment: [String: String], url: String, secrets: [String]) throws {
        let pipeline = try httpPipeline(#"url: "https://${HOST:-fallback.example.com}/""#, environment: environment)
        #expect(try config(of: pipeline).url == url)
        #expect(pipeline.secrets == secrets)
    }

    @Test func requiredReferenceFailsWithItsMessage() throws {
        let errors = try errors {
            try httpPipeline(#"url: "https://${HOST:?the API host, e.g. api.example.com}/""#, environment: ["HOST": ""])
        }
        #expect(errors.map(\.description) == [
            "/pipelines/interpolation.yaml:7:12: stages[0].http.url: environment variable HOST is not set: the API host, e.g. api.example.com (hint: set it before running: export HOST=...)",
        ])
        let pipeline = try httpPipeline(#"url: "https://${HOST:?the API host}/""#, environment: ["HOST": "h.example.com"])
        #expect(try config(of: pipeline).url == "https://h.example.com/")
    }

    @Test func unsetVariableIsAnErrorAtTheValue() throws {
        let errors = try errors {
            try httpPipeline("url: https://api.example.com/\nheaders: { Authorization: \"Bearer ${API_TOKEN}\" }", environment: [:])
        }
        #expect(errors.map(\.description) == [
            "/pipelines/interpolation.yaml:8:33: stages[0].http.headers.Authorization: environment variable API_TOKEN is not set (hint: set it before running (export API_TOKEN=...), or give a default: ${API_TOKEN:-value})",
        ])
    }

    @Test func doubleDollarIsALiteral() throws {
        let pipeline = try httpPipeline(#"url: "https://api.example.com/?q=$${literal}&h=${HOST}""#, environment: ["HOST": "x"])
        #expect(try config(of: pipeline).url == "https://api.example.com/?q=${literal}&h=x")
    }

    @Test func expandedValuesAreTypedAgain() throws {
        let pipeline = try httpPipeline("url: https://api.example.com/\ninsecure: ${INSECURE}\nmax_redirects: \"${REDIRECTS}\"\ntimeout: ${TIMEOUT}",
                                        environment: ["INSECURE": "true", "REDIRECTS": "2", "TIMEOUT": "1m30s"])
        let config = try config(of: pipeline)
        #expect(config.insecure)
        #expect(config.maxRedirects == 2)
        #expect(config.timeout == .seconds(90))
    }

    @Test func aTemplateWithoutEnvironmentValuesShowsJqsMessage() throws {
        let errors = try errors {
            try httpPipeline(#"url: "https://${HOST}/{{ .id | }}""#, environment: ["HOST": "api.example.com"])
        }
        #expect(errors.map(\.message) == [
            "the template part `{{ .id | }}` does not compile: syntax error, unexpected $end at <top-level>, line 1: .id |",
        ])
    }

    @Test func keysAreNotExpanded() throws {
        let pipeline = try httpPipeline("url: https://api.example.com/\nquery: { \"${NAME}\": \"${VALUE}\" }", environment: ["NAME": "n", "VALUE": "v"])
        let query = try config(of: pipeline).query
        #expect(query.map(\.name) == ["${NAME}"])
        #expect(query.map(\.value) == ["v"])
    }

    @Test func jqProgramsAndKeysAreNotExpanded() throws {
        let text = """
            pipeline: jq
            source:
              items: [{id: 1}]
              key: '"${ID}" + (.id | tostring)'
            stages:
              - name: shape
                jq: '{id, home: "${HOME}", env: $ENV.HOME}'
                key: '"${X}"'
              - name: post
                http:
                  url: https://api.example.com/
                  body: { json: '{cost: "${COST}"}' }
            """
        let pipeline = try PipelineLoader.load(text: text, file: file, environment: ["HOME": "/home/secret-user"])
        #expect(pipeline.source.key == #""${ID}" + (.id | tostring)"#)
        #expect((pipeline.stages[0].transform as? JQTransform)?.pool.source == #"{id, home: "${HOME}", env: $ENV.HOME}"#)
        #expect(pipeline.stages[0].key == #""${X}""#)
        #expect((pipeline.stages[1].transform as? HTTPTransform)?.config.body == .json(program: #"{cost: "${COST}"}"#))
        #expect(pipeline.secrets.isEmpty)
    }

    @Test func aSecretNeverAppearsInAnyErrorEvenInsideTheBadValue() throws {
        let secret = PipelineFixtures.secret
        let text = """
            pipeline: leaky
            defaults:
              concurrency: ${TOKEN}
              lease: ${TOKEN}
            source:
              jsonl: /data/${TOKEN}.jsonl
            stages:
              - name: ${TOKEN}!
                http:
                  method: ${TOKEN}
                  url: "https://api.example.com/{{ .id | ${TOKEN} }}?t=${TOKEN}"
                  headers: { X-Token: "{{ ${TOKEN} | }}" }
                  rate: ${TOKEN}
                  http_version: ${TOKEN}
                  max_response_size: ${TOKEN}
                  retry_on: ["${TOKEN}"]
                  ca_file: ${TOKEN}
              - name: load
                sql: ${TOKEN}
                outputs: returning
            """
        let errors = try errors { try PipelineLoader.load(text: text, file: file, environment: ["TOKEN": secret]) }
        #expect(errors.map(\.field) == [
            "defaults.concurrency", "defaults.lease", "source.jsonl", "stages[0].name", "stages[0].http.method",
            "stages[0].http.url", "stages[0].http.headers.X-Token", "stages[0].http.rate", "stages[0].http.http_version",
            "stages[0].http.max_response_size", "stages[0].http.retry_on[0]", "stages[0].http.ca_file", "stages[1].outputs",
        ])
        let description = PipelineErrors(errors).description
        #expect(!description.contains(secret))
        #expect(!description.contains("SECRET123"))
        for error in errors {
            #expect(!error.message.contains(secret))
            #expect(error.hint?.contains(secret) != true)
        }
        // The jq part is shown with the secret redacted; jq's own message, which quotes pieces
        // of the program (`SECRET123/0 is not defined`), is withheld.
        #expect(errors.first { $0.field == "stages[0].http.url" }?.message ==
                "the template part `{{ .id | *** }}` does not compile (jq's message is not shown: it could quote the environment value)")
        #expect(description.contains("`${TOKEN}` (expanded from the environment)"))
    }
}
