import Baton
import BatonJQ
import Foundation
import Testing

@Suite("Valid pipeline files")
struct ValidPipelineConfigTests {
    private func load(_ name: String, environment: [String: String] = PipelineFixtures.environment) throws -> Pipeline {
        try PipelineLoader.load(path: PipelineFixtures.good(name), environment: environment)
    }

    @Test func loadsNamesKindsAndPipelineSettings() throws {
        let pipeline = try load("orders.yaml")
        #expect(pipeline.name == "orders")
        #expect(pipeline.description == "Orders from the shop, enriched and loaded")
        #expect(pipeline.stages.map(\.name) == ["fetch", "enrich", "shape", "load", "notify"])
        #expect(pipeline.stages.map(\.transform.kindName) == ["http", "exec", "jq", "sql", "exec"])
        #expect(pipeline.backlogLimit == 5000)
        #expect(pipeline.file == PipelineFixtures.good("orders.yaml"))
        let text = try String(contentsOfFile: PipelineFixtures.good("orders.yaml"), encoding: .utf8)
        #expect(pipeline.definitionText == text)
        #expect(pipeline.definitionHash == StableHash.hex(text))
        #expect(pipeline.stages.map(\.location) == [16, 44, 51, 57, 63].map { "\(PipelineFixtures.good("orders.yaml")):\($0)" })
    }

    @Test func sourceFieldsAndResolvedPath() throws {
        let pipeline = try load("orders.yaml")
        guard let path = (pipeline.source.definition as? JSONLSource)?.path else {
            Issue.record("expected a jsonl source, got \(pipeline.source.definition.kindName)")
            return
        }
        #expect(path == PipelineFixtures.good("data/orders.jsonl"))
        #expect(path.hasPrefix("/"))
        #expect(pipeline.source.key == ".id")
        #expect(pipeline.source.onError == .skip)
        #expect(pipeline.source.dedupeWindow == .seconds(24 * 3600))
        #expect(pipeline.source.location == "\(PipelineFixtures.good("orders.yaml")):10")
    }

    @Test func retryPoliciesMergeDefaultsWithStageOverrides() throws {
        let stages = try load("orders.yaml").stages
        let defaults = RetryPolicy(maxAttempts: 5, backoff: .linear, initial: .seconds(2), max: .seconds(60), jitter: 0.1)
        // fetch overrides only max_attempts; enrich, load and notify inherit everything.
        #expect(stages[0].retry == RetryPolicy(maxAttempts: 8, backoff: .linear, initial: .seconds(2), max: .seconds(60), jitter: 0.1))
        #expect(stages[1].retry == defaults)
        #expect(stages[2].retry == RetryPolicy(maxAttempts: 5, backoff: .fixed, initial: .zero, max: .seconds(60), jitter: 0.1))
        #expect(stages[3].retry == defaults)
        #expect(stages[4].retry == defaults)
    }

    @Test func concurrencyBatchSizeAndLeaseFollowDefaultsUnlessOverridden() throws {
        let stages = try load("orders.yaml").stages
        #expect(stages.map(\.concurrency) == [16, 4, 4, 4, 4])
        #expect(stages.map(\.batchSize) == [50, 50, 50, 200, 50])
        #expect(stages.map(\.lease) == [.seconds(90), .seconds(300), .seconds(90), .seconds(90), .seconds(90)])
    }

    @Test func withoutDefaultsTheModelsDefaultsApply() throws {
        let stage = try #require(try load("people.yaml").stages.first)
        #expect(stage.retry == RetryPolicy())
        #expect(stage.concurrency == 1)
        #expect(stage.batchSize == 200)  // SQLTransform's default
        #expect(stage.lease == .seconds(30))
    }

    @Test func httpStageConfiguration() throws {
        let stage = try load("orders.yaml").stages[0]
        let config = try #require(stage.transform as? HTTPTransform).config
        #expect(config.method == "POST")
        #expect(config.url == "https://api.example.com/orders/{{ .id }}")
        #expect(config.query.map(\.name) == ["expand", "page"])
        #expect(config.query.map(\.value) == ["items", "2"])
        #expect(config.headers.map(\.name) == ["Authorization", "X-Request-Id"])
        #expect(config.headers.map(\.value) == ["Bearer \(PipelineFixtures.secret)", "{{ .id }}"])
        #expect(config.body == .json(program: "{id, total}"))
        #expect(config.response == .json)
        #expect(config.into == "details")
        #expect(config.statusField == "status")
        #expect(config.keepHeaders == ["etag", "x-rate-limit"])
        #expect(config.timeout == .seconds(10))
        #expect(config.connectTimeout == .milliseconds(500))
        #expect(config.retryOn.ranges == [429...429, 500...599])
        #expect(config.failOn.ranges == [400...428, 430...499])
        #expect(config.successOn.ranges == [409...409])
        #expect(config.rate == 10.0 / 60)
        #expect(config.failureBudget == 20)
        #expect(config.redact == ["api_key"])
        #expect(config.insecure == false)
        #expect(config.caFile == PipelineFixtures.good("certs/ca.pem"))
        #expect(config.maxRedirects == 0)
        #expect(config.maxResponseBytes == 512 * 1024)
        #expect(config.httpVersion == "2")
    }

    @Test func execStageConfiguration() throws {
        let stages = try load("orders.yaml").stages
        let enrich = try #require(stages[1].transform as? ExecTransform).config
        #expect(enrich.command == ["python3", "scripts/enrich.py", "--mode=fast"])
        #expect(enrich.timeout == .seconds(120))
        #expect(enrich.environment == ["MODE": "fast", "TOKEN": PipelineFixtures.secret])
        #expect(enrich.failOnExit == [65, 66])
        let notify = try #require(stages[4].transform as? ExecTransform).config
        #expect(notify.command == ["/bin/sh", "-c", "cat >> /tmp/notified.log"])
        #expect(notify.timeout == .seconds(60))
        #expect(notify.failOnExit == [65])
    }

    @Test func streamExecStageConfiguration() throws {
        let stage = try load("stream.yaml").stages[0]
        let score = try #require(stage.transform as? StreamExecTransform).config
        #expect(score.mode == .stream)
        #expect(score.command == ["python3", "scripts/score.py"])
        #expect(score.timeout == .seconds(5))
        #expect(score.startTimeout == .seconds(120))
        #expect(score.processes == 3)
        #expect(score.window == 16)
        #expect(score.workingDirectory == PipelineFixtures.good("data"))
        // Defaults follow the pool: every child's window in flight, batches of 200.
        #expect(stage.concurrency == 48)
        #expect(stage.batchSize == 200)
    }

    @Test func jqAndSQLStages() throws {
        let stages = try load("orders.yaml").stages
        let shape = try #require(stages[2].transform as? JQTransform)
        #expect(shape.pool.source == "select(.status == 200) | {id, total: .details.total, currency}")
        #expect(stages[2].key == ".id")
        let load = try #require(stages[3].transform as? SQLTransform)
        #expect(load.outputs == .returning)
        #expect(load.statement == "insert into orders(id, total, currency) values (:id, :total, :currency)\nreturning id\n")
        #expect(load.template.parameters == ["id", "total", "currency"])
    }

    @Test func csvSourceOptions() throws {
        let pipeline = try load("people.yaml")
        guard let csv = pipeline.source.definition as? CSVSource else {
            Issue.record("expected a csv source, got \(pipeline.source.definition.kindName)")
            return
        }
        let (path, options) = (csv.path, csv.options)
        #expect(path == PipelineFixtures.good("data/people.csv"))
        #expect(options.delimiter == ";")
        #expect(options.types == ["age": .integer, "score": .number, "active": .boolean, "meta": .json])
        #expect(pipeline.source.onError == .fail)
        #expect(pipeline.source.dedupeWindow == nil)
    }

    @Test func inlineItemsBecomeTypedJSON() throws {
        let pipeline = try load("inline.yaml")
        guard let items = (pipeline.source.definition as? InlineItemsSource)?.items else {
            Issue.record("expected inline items, got \(pipeline.source.definition.kindName)")
            return
        }
        let first: JSON = .object([
            ("id", .number(1)), ("name", .string("Ada")), ("score", .number(9.5)), ("active", .bool(true)),
            ("note", .null), ("tags", .array([.string("a"), .string("1"), .number(2)])), ("code", .string("007")),
            ("country", .string("NO")), ("nested", .object([("deep", .array([.null]))])),
        ])
        #expect(items == [first, .number(42), .string("text"), .string("widget"), .string("${NOT_A_VAR}")])
        #expect(pipeline.secrets == ["widget"])
    }

    @Test func sqlSourceWithAnotherDatabaseAndEnvironmentSettings() throws {
        let pipeline = try load("query.yaml")
        guard let sql = pipeline.source.definition as? SQLSource else {
            Issue.record("expected a sql source, got \(pipeline.source.definition.kindName)")
            return
        }
        let (query, databaseURL) = (sql.query, sql.databaseURL)
        #expect(query.hasPrefix("select id, payload from events"))
        #expect(databaseURL == "postgres://archiver:hunter22@db.internal/events")
        #expect(pipeline.stages.first?.concurrency == 3)
        #expect((pipeline.stages.first?.transform as? SQLTransform)?.outputs == SQLTransform.Outputs.none)
        // (The concurrency from the environment is a number: no secret.)
        #expect(pipeline.secrets == ["postgres://archiver:hunter22@db.internal/events"])
    }

    @Test func secretsAreTheEnvironmentValuesUsedNotDefaults() throws {
        let pipeline = try load("orders.yaml")
        // ${API_TOKEN} twice (kept once); ${MODE:-fast} took its default: not a secret.
        #expect(pipeline.secrets == [PipelineFixtures.secret])
        #expect(pipeline.redact("token \(PipelineFixtures.secret)") == "token ***")
    }

    @Test func aJSONPipelineFileLoads() throws {
        let pipeline = try load("orders.json")
        #expect(pipeline.name == "orders-json")
        #expect(pipeline.description == "The same structure, as JSON")
        #expect(pipeline.stages.map(\.name) == ["shape", "load"])
        #expect(pipeline.stages.map(\.transform.kindName) == ["jq", "sql"])
        #expect(pipeline.stages.map(\.retry.maxAttempts) == [2, 2])
        #expect(pipeline.stages.map(\.lease) == [.seconds(45), .seconds(45)])
        #expect(pipeline.stages.map(\.concurrency) == [1, 2])
        #expect(pipeline.source.key == ".id")
        #expect(pipeline.stages.map(\.location) == ["\(PipelineFixtures.good("orders.json")):7", "\(PipelineFixtures.good("orders.json")):8"])
    }

    @Test func editingOneStageChangesOnlyItsHash() throws {
        let path = PipelineFixtures.good("orders.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let original = try PipelineLoader.load(text: text, file: path, environment: PipelineFixtures.environment)
        let editedText = text.replacingOccurrences(of: "total: .details.total, currency}", with: "total: .details.amount, currency}")
        #expect(editedText != text)
        let edited = try PipelineLoader.load(text: editedText, file: path, environment: PipelineFixtures.environment)
        let changed = zip(original.stages, edited.stages).filter { $0.definitionHash != $1.definitionHash }.map(\.0.name)
        #expect(changed == ["shape"])
        #expect(original.definitionHash != edited.definitionHash)
    }

    @Test func layoutCommentsAndSecretsDoNotChangeStageHashes() throws {
        let path = PipelineFixtures.good("orders.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let original = try PipelineLoader.load(text: text, file: path, environment: PipelineFixtures.environment)
        let reformatted = text
            .replacingOccurrences(of: "    jq: 'select(.status == 200) | {id, total: .details.total, currency}'",
                                  with: "    # reshaped\n    jq: \"select(.status == 200) | {id, total: .details.total, currency}\"")
            .replacingOccurrences(of: "retry: { max_attempts: 8 }", with: "retry:\n      max_attempts: 8")
        var environment = PipelineFixtures.environment
        environment["API_TOKEN"] = "another-token-value"
        let other = try PipelineLoader.load(text: reformatted, file: path, environment: environment)
        #expect(other.stages.map(\.definitionHash) == original.stages.map(\.definitionHash))
        #expect(Set(original.stages.map(\.definitionHash)).count == original.stages.count)
        #expect(other.definitionHash != original.definitionHash)
    }

    @Test func relativePathsResolveAgainstTheCurrentDirectoryFirst() throws {
        // A file reachable by a relative path from the current directory only.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("only-here.jsonl").standardizedFileURL
        try Data("{}\n".utf8).write(to: file)
        let depth = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.pathComponents.count - 1
        let relative = String(repeating: "../", count: depth) + file.path.dropFirst()
        let text = "pipeline: p\nsource: { jsonl: \"\(relative)\" }\nstages: [{name: s, jq: .}]\n"
        let pipeline = try PipelineLoader.load(text: text, file: PipelineFixtures.good("inline.yaml"), environment: [:])
        guard let path = (pipeline.source.definition as? JSONLSource)?.path else {
            Issue.record("expected a jsonl source")
            return
        }
        #expect(path == file.path)
    }

    @Test func relativePathsFallBackToThePipelineFilesFolder() throws {
        let text = "pipeline: p\nsource: { csv: data/people.csv }\nstages: [{name: s, jq: .}]\n"
        let pipeline = try PipelineLoader.load(text: text, file: PipelineFixtures.good("elsewhere.yaml"), environment: [:])
        guard let path = (pipeline.source.definition as? CSVSource)?.path else {
            Issue.record("expected a csv source")
            return
        }
        #expect(path == PipelineFixtures.good("data/people.csv"))
    }
}
