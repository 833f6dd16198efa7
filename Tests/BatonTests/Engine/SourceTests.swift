import Baton
import BatonJQ
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Sources through the engine: SQL queries, malformed records with `on_error: skip`, and
/// cross-run deduplication under concurrency.
@Suite("Sources")
struct SourceTests {
    @Test func aSQLSourceStreamsRowsAsTypedItems() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("""
                CREATE TABLE customers (id int PRIMARY KEY, name text, vip boolean, tags jsonb);
                INSERT INTO customers SELECT i, 'c' || i, i % 10 = 0, jsonb_build_array(i % 3) FROM generate_series(1, 2500) AS i;
                CREATE TABLE vip_out (id int, name text, tag int);
                """)
            let pipeline = Pipeline(
                name: "sqlsrc",
                source: SourceSpec(.sql(query: "SELECT id, name, vip, tags FROM customers ORDER BY id;", databaseURL: nil), key: ".id"),
                stages: [
                    Stage(name: "vip", transform: try JQTransform(program: "select(.vip) | {id, name, tag: .tags[0]}")),
                    Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO vip_out VALUES (:id, :name, :tag)")),
                ]
            )
            var options = EngineFixture.options()
            options.seedChunkSize = 700  // several chunks
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: options)
            #expect(report.run.state == .succeeded)
            #expect(report.stage("vip")?.done == 250)
            #expect(report.stage("vip")?.skipped == 2250)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM vip_out") == 250)
            // Types survive: booleans filtered, a jsonb array element arrives as a number.
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM vip_out WHERE tag <> id % 3 OR name <> 'c' || id") == 0)
        }
    }

    @Test func malformedLinesWithOnErrorSkipBecomeFailedItemsAndTheRestProceeds() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("in.jsonl", """
                {"id": 1}
                {"id": 2
                {"id": 3}

                not json at all
                {"id": 4}
                """)
            let conn = try db.connect()
            let pipeline = Pipeline(
                name: "skip",
                source: SourceSpec(.jsonl(path: file), key: ".id", onError: .skip),
                stages: [Stage(name: "echo", transform: try JQTransform(program: "."))]
            )
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .failed)
            #expect(report.stage("echo")?.done == 3)
            #expect(report.stage("echo")?.failed == 2)
            let failed = try conn.query("""
                SELECT key, payload->>'line', payload->>'raw', error_class, last_error FROM baton.items WHERE state = 'failed' ORDER BY key
                """).rows
            #expect(try failed.map { try $0.decode(String.self, 0) } == ["line:2", "line:5"])
            #expect(try failed[1].decode(String.self, 2) == "not json at all")
            #expect(try failed[0].decode(String.self, 3) == "bad record")
            #expect(try failed[0].decode(String.self, 4).hasPrefix("invalid JSON"))
        }
    }

    @Test func aMalformedLineWithOnErrorFailEnqueuesNothing() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("in.jsonl", (1...100).map { #"{"id": \#($0)}"# }.joined(separator: "\n") + "\n{oops\n")
            let conn = try db.connect()
            let pipeline = Pipeline(name: "strict", source: SourceSpec(.jsonl(path: file), key: ".id"),
                                    stages: [Stage(name: "echo", transform: try JQTransform(program: "."))])
            let error = try await #require(throws: BatonError.self) {
                _ = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            }
            #expect(error.category == .data)
            #expect(error.message.hasPrefix("\(file):101: invalid JSON"))
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.runs") == 0)
        }
    }

    @Test func twoRunsSeedingTheSameKeysAtOnceWithDedupeProcessEachKeyOnce() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE seen (id int, run text)")
            let source = SourceSpec(.items((1...3000).map { .object([("id", .number(Double($0)))]) }), key: ".id", dedupeWindow: .seconds(3600))
            let pipeline = Pipeline(name: "dedupe", source: source, stages: [
                Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO seen VALUES (:id, :_run)")),
            ])
            var options = EngineFixture.options()
            options.seedChunkSize = 250
            async let first = RunEngine.run(pipeline, database: db.config, runName: "a", options: options)
            async let second = RunEngine.run(pipeline, database: db.config, runName: "b", options: options)
            let (a, b) = try await (first, second)
            #expect(a.run.state == .succeeded && b.run.state == .succeeded)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM seen") == 3000)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM seen") == 3000)
            let done = (a.stage("load")?.done ?? 0) + (b.stage("load")?.done ?? 0)
            let skipped = (a.stage("load")?.deduplicated ?? 0) + (b.stage("load")?.deduplicated ?? 0)
            #expect(done == 3000)
            #expect(skipped == 3000)

            // A third run within the window has nothing left to do.
            let third = try await RunEngine.run(pipeline, database: db.config, runName: "c", options: options)
            #expect(third.stage("load")?.done == 0)
            #expect(third.stage("load")?.deduplicated == 3000)
        }
    }
}
