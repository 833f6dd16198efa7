import Baton
import BatonJQ
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Inputs that once broke a whole batch or the process: each must fail only its own item.
@Suite("Edge cases")
struct EdgeCaseTests {
    @Test func aDeferredConstraintViolationFailsOnlyItsItem() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("""
                CREATE TABLE parents (id int PRIMARY KEY);
                INSERT INTO parents SELECT generate_series(1, 9);
                CREATE TABLE children (id int, parent int REFERENCES parents DEFERRABLE INITIALLY DEFERRED);
                """)
            let source = EngineFixture.items(10) { .object([("id", .number(Double($0))), ("parent", .number(Double($0)))]) }
            let pipeline = Pipeline(name: "deferred", source: source, stages: [
                Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO children VALUES (:id, :parent)"), batchSize: 50),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options(workers: 1))
            #expect(report.stage("load")?.done == 9)
            #expect(report.stage("load")?.failed == 1)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM children") == 9)
            #expect(try conn.query("SELECT error_class FROM baton.items WHERE state = 'failed'").rows[0].decode(String.self, 0) == "sqlstate 23503")
        }
    }

    @Test func aFailureMessageWithANulCharacterIsStored() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            var config = ExecStageConfig(command: ["/bin/sh", "-c", #"cat >/dev/null; printf 'bad\000bytes' >&2; exit 3"#])
            config.timeout = .seconds(10)
            let pipeline = Pipeline(name: "nul", source: EngineFixture.items(3), stages: [
                Stage(name: "ext", transform: try ExecTransform(config: config), retry: EngineFixture.fastRetry(1)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.stage("ext")?.failed == 3)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE last_error LIKE '%bad%bytes%'") == 3)
        }
    }

    @Test func aRecordWithANulCharacterIsABadRecordNotABrokenChunk() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("in.jsonl", #"{"id": 1}"# + "\n" + #"{"id": 2, "text": "a\u0000b"}"# + "\n" + #"{"id": 3}"# + "\n")
            let pipeline = Pipeline(name: "nulrec", source: SourceSpec(.jsonl(path: file), key: ".id", onError: .skip),
                                    stages: [Stage(name: "echo", transform: try JQTransform(program: "."))])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.stage("echo")?.done == 2)
            #expect(report.stage("echo")?.failed == 1)
        }
    }

    @Test func anEndlessRetryAfterDoesNotOverflow() async throws {
        let server = try TestHTTPServer.start { _ in .text("later", status: 503, headers: [("Retry-After", "1e400")]) }
        try await TestDatabase.with { db in
            let pipeline = Pipeline(name: "inf", source: EngineFixture.items(1), stages: [
                Stage(name: "fetch", transform: try HTTPTransform(config: HTTPStageConfig(url: server.baseURL + "/x")),
                      retry: HTTPStageTests.backoff(upTo: .seconds(7))),
            ])
            let (delay, _) = try await EngineFixture.firstRetryDelay(pipeline, db)
            #expect(delay == 7)
        }
    }

    @Test func resumingWithAStageRemovedFromTheFileIsRefused() async throws {
        try await TestDatabase.with { db in
            let controller = RunController()
            // b keeps its queue (not fused into a's commits), so it has unfinished items.
            var b = Stage(name: "b", transform: try JQTransform(program: "."))
            b.fuse = false
            let first = Pipeline(name: "shrink", source: EngineFixture.items(200), stages: [
                Stage(name: "a", transform: SwiftTransform { item in
                    if !controller.isStopping { controller.requestStop(.interrupt) }
                    return .outputs([item.payload])
                }, batchSize: 10),
                b,
            ])
            let interrupted = try await RunEngine.run(first, database: db.config, runName: "r", options: EngineFixture.options(workers: 1), controller: controller)
            #expect(interrupted.stopReason == .interrupt)
            let shrunk = Pipeline(name: "shrink", source: EngineFixture.items(200), stages: [
                Stage(name: "a", transform: try JQTransform(program: ".")),
            ])
            let error = try await #require(throws: BatonError.self) {
                _ = try await RunEngine.run(shrunk, database: db.config, runName: "r", options: EngineFixture.options())
            }
            #expect(error.category == .config)
            #expect(error.message.contains("unfinished items in stage b"))
        }
    }
}
