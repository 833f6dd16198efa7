import Baton
import BatonTestSupport
import Foundation
import Testing

/// Baton as a Swift library: Swift stages registered by name and used from YAML, pipelines
/// built in Swift, the Codable helpers, the public entry points.
@Suite("Swift library")
struct SwiftStageTests {
    struct Order: Codable, Sendable {
        var id: Int
        var amount: Double
    }

    struct Doubled: Codable, Sendable {
        var id: Int
        var doubled: Double
    }

    static let yaml = """
        pipeline: doubling
        setup: CREATE TABLE IF NOT EXISTS doubled (id int PRIMARY KEY, doubled numeric)
        source:
          items: [{id: 1, amount: 2.5}, {id: 2, amount: 10}, {id: 3, amount: -1}]
          key: .id
        stages:
          - name: double
            swift: double
          - name: save
            sql: insert into doubled (id, doubled) values (:id, :doubled)
        """

    static func registered() -> SwiftStages {
        var stages = SwiftStages()
        stages.register("double") { item in
            let order = try item.decode(Order.self)
            guard order.amount >= 0 else { throw StageError.permanent("order \(order.id): negative amount", class: "validation") }
            return try .items([Doubled(id: order.id, doubled: order.amount * 2)])
        }
        return stages
    }

    @Test func aSwiftStageRegisteredByNameRunsInsideAYAMLPipeline() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let file = try workspace.write("doubling.yaml", Self.yaml)
        let pipeline = try PipelineLoader.load(path: file, swiftStages: Self.registered())
        #expect(pipeline.stages.map(\.transform.kindName) == ["swift", "sql"])
        try await TestDatabase.with { db in
            let report = try await pipeline.run(on: Database(url: db.url), runName: "r1", options: EngineFixture.options())
            #expect(report.run.state == .failed)
            #expect(report.stages.first?.done == 2)
            #expect(report.stages.first?.failed == 1)
            let conn = try db.connect()
            let rows = try conn.query("SELECT id, doubled::text FROM doubled ORDER BY id").rows
            #expect(try rows.map { try $0.decode(Int.self, 0) } == [1, 2])
            #expect(try rows.map { try $0.decode(String.self, 1) } == ["5", "20"])
            let failure = try conn.query("SELECT error_class, last_error, attempt FROM baton.items WHERE key = '3'").rows[0]
            #expect(try failure.decode(String.self, 0) == "validation")
            #expect(try failure.decode(String.self, 1) == "order 3: negative amount")
            #expect(try failure.decode(Int.self, 2) == 1)
        }
    }

    @Test func aPipelineBuiltInSwiftRunsAndResumesAsItself() async throws {
        try await TestDatabase.with { db in
            let pipeline = Pipeline(
                name: "built",
                source: SourceSpec(try .items([Order(id: 7, amount: 1.5), Order(id: 8, amount: 4)]), key: ".id"),
                stages: [
                    try .jq(name: "shape", program: "{id, doubled: (.amount * 2)}"),
                    Stage(name: "check", transform: SwiftTransform { item in
                        let doubled = try item.decode(Doubled.self)
                        return doubled.doubled > 5 ? try .items([doubled]) : .skip
                    }),
                    try .sql(name: "save", statement: "insert into kept (id, doubled) values (:id, :doubled) returning id", outputs: .returning),
                ],
                setup: ["CREATE TABLE IF NOT EXISTS kept (id int PRIMARY KEY, doubled numeric)"]
            )
            let report = try await pipeline.run(on: Database(url: db.url), runName: "b", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stages.map(\.done) == [2, 1, 1])
            #expect(report.stages.map(\.skipped) == [0, 1, 0])
            let conn = try db.connect()
            #expect(try conn.query("SELECT id, doubled::text FROM kept").rows.map { "\(try $0.decode(Int.self, 0)):\(try $0.decode(String.self, 1))" } == ["8:8"])
            let again = try await pipeline.run(on: Database(url: db.url), runName: "b", options: EngineFixture.options())
            #expect(again.wasAlreadyFinished)
        }
    }

    /// A transform that throws `CancellationError` itself (nothing is stopping) fails the
    /// attempt like any error: retried, then done; not dropped from its batch, not retaken
    /// for ever.
    @Test func aCancellationErrorOfTheTransformItselfIsAnOrdinaryRetriedFailure() async throws {
        let attempts = TestHTTPServer.LockedBox([Int: Int]())
        try await TestDatabase.with { db in
            let pipeline = Pipeline(
                name: "spurious",
                source: SourceSpec(try .items((1...20).map { Order(id: $0, amount: 1) }), key: ".id"),
                stages: [
                    Stage(name: "check", transform: SwiftTransform { item in
                        let order = try item.decode(Order.self)
                        let attempt = attempts.withLock { $0[order.id, default: 0] += 1; return $0[order.id]! }
                        if order.id % 4 == 0 && attempt == 1 { throw CancellationError() }
                        return try .items([order])
                    }, retry: EngineFixture.fastRetry(3), concurrency: 4),
                ]
            )
            let report = try await pipeline.run(on: Database(url: db.url), runName: "c", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stages.map(\.done) == [20])
            #expect(report.stages.map(\.retried) == [5])
            #expect(attempts.withLock { $0.values.reduce(0, +) } == 25, "each of the 5 retried once, no claim retaken")
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 20)
        }
    }

    @Test func aSwiftStageNobodyRegisteredIsAValidationErrorThatSaysWhy() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let file = try workspace.write("doubling.yaml", Self.yaml)
        let none = try #require(#expect(throws: PipelineErrors.self) { try PipelineLoader.load(path: file) })
        #expect(none.errors.map(\.description) == [
            "\(file):8:12: stages[0].swift: no Swift stage named `double` is registered (hint: `swift:` stages are registered by a Swift program that loads the pipeline with PipelineLoader.load(path:swiftStages:); the baton command has none)",
        ])
        var others = SwiftStages()
        others.register("doubles") { _ in .skip }
        others.register("triple") { _ in .skip }
        let wrong = try #require(#expect(throws: PipelineErrors.self) { try PipelineLoader.load(path: file, swiftStages: others) })
        #expect(wrong.errors.map(\.hint) == ["did you mean `doubles`? registered: doubles, triple"])
    }

    @Test func stagesWithoutAKindOfferSwiftOnlyWhenStagesAreRegistered() throws {
        let text = "pipeline: p\nsource: { items: [{id: 1}] }\nstages:\n  - name: s\n"
        let plain = try #require(#expect(throws: PipelineErrors.self) { try PipelineLoader.load(text: text, file: "p.yaml", environment: [:]) })
        #expect(plain.errors.first?.message == "the stage does nothing: it needs one of jq, sql, http, exec")
        let offered = try #require(#expect(throws: PipelineErrors.self) {
            try PipelineLoader.load(text: text, file: "p.yaml", environment: [:], swiftStages: Self.registered())
        })
        #expect(offered.errors.first?.message == "the stage does nothing: it needs one of jq, sql, http, exec, swift")
    }

    @Test func theCodableHelpersFailItemsForGoodWithTheItemNamed() async throws {
        let input = StageInput(key: "k9", payload: #"{"id": "nine"}"#, stage: "double")
        let error = try #require(#expect(throws: StageError.self) { try input.decode(Order.self) })
        #expect(error.isPermanent)
        #expect(error.errorClass == "data")
        #expect(error.message.hasPrefix("double k9: the item is not a Order:"))
        let output = try StageOutput.items([Doubled(id: 1, doubled: 3)])
        #expect(try JSONDecoder().decode(Doubled.self, from: Data(output.outputs[0].payload.utf8)).doubled == 3)
        #expect(throws: BatonError.self) { try SourceSpec.Kind.items(json: ["{\"id\": 1}", "not json"]) }
    }

    @Test func stageFactoriesRefuseBrokenDefinitions() throws {
        let jq = try #require(#expect(throws: BatonError.self) { try Stage.jq(name: "shape", program: "{id") })
        #expect(jq.category == .config)
        #expect(jq.message.hasPrefix("stage shape: the jq program does not compile"))
        let sql = try #require(#expect(throws: BatonError.self) {
            try Stage.sql(name: "save", statement: "insert into t values (:id)", outputs: .returning)
        })
        #expect(sql.message == "stage save: `outputs: returning` needs a RETURNING clause in the statement")
    }

    @Test func theDatabaseDescriptionNeverShowsThePassword() {
        let database = Database(url: "postgresql://etl:hunter22@db.internal/warehouse")
        #expect(!database.description.contains("hunter22"))
        #expect(!Database.libpqEnvironment.description.contains("hunter22"))
    }
}
