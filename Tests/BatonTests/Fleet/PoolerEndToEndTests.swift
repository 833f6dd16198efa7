import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Baton behind a real PgBouncer 1.18 in transaction pooling mode (issue 14): no named
/// prepared statements, no session state; many processes share one run through it.
@Suite("PgBouncer in transaction mode (end to end)", .serialized)
struct PoolerEndToEndTests {
    static let items = 1_500

    static func pipeline(_ ws: Workspace) throws -> String {
        try ws.writeIDs("numbers", count: items)
        return try ws.write("pooled.yaml", """
            pipeline: pooled
            setup: CREATE TABLE IF NOT EXISTS sink (id int NOT NULL, app text NOT NULL)
            source:
              jsonl: \(ws.url.path)/fixtures/numbers.jsonl
              key: .id
            stages:
              - name: double
                jq: '{id, twice: (.id * 2)}'
                batch_size: 20
              - name: save
                sql: insert into sink (id, app) select :id::int, current_setting('application_name') from pg_sleep(0.002)
                batch_size: 10
            """)
    }

    @Test func fourProcessesShareOneRunThroughPgBouncerAndTheSinkIsExact() async throws {
        try await TestDatabase.with { db in
            let bouncer = try TestPgBouncer()
            defer { bouncer.stop() }
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            let url = bouncer.url(for: db)
            // Auto-detected (no option): the pooler answers with a cancel key of its own.
            let processes = try (1...4).map { index in
                try BatonProcess.start(["run", file, "--run", "shared", "--workers", "2", "--progress", "none", "--database-url", url],
                                       database: nil, environment: ["PGAPPNAME": "baton-p\(index)"])
            }
            var outputs: [BatonProcess.Output] = []
            for process in processes { outputs.append(try await process.wait(timeout: .seconds(300))) }
            for output in outputs {
                #expect(output.status == 0, "\(output)")
                #expect(!output.stderr.contains("prepared statement"), "\(output)")
            }
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM sink") == Self.items)
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM sink") == Self.items)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 1)
            #expect(try Ops.runState(conn, "shared") == "succeeded")
            // Work was shared: rows written by more than one of the processes.
            let writers = try Ops.count(conn, "SELECT count(DISTINCT app) FROM sink")
            #expect(writers >= 2, "rows came from \(writers) process(es)")
            // And it all went through the pooler, in transactions on few server connections.
            let stats = try bouncer.admin("SHOW STATS").first { $0["database"] == db.name }
            #expect(Int(stats?["total_xact_count"] ?? "") ?? 0 > 100, "\(String(describing: stats))")
        }
    }

    @Test func withoutPoolerModeNamedStatementsBreakBehindPgBouncer() async throws {
        try await TestDatabase.with { db in
            let bouncer = try TestPgBouncer(poolSize: 2)
            defer { bouncer.stop() }
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            // The check that the test above can fail: named statements on a transaction pooler.
            let output = try await BatonProcess.run(
                ["run", file, "--workers", "4", "--progress", "none", "--pooler", "none", "--database-url", bouncer.url(for: db)],
                database: nil)
            #expect(output.status != 0, "\(output)")
            // Named statements of one client meet another's on a shared server connection: "prepared
            // statement … already exists", or another statement's result under this one's name.
            #expect(output.stderr.contains("prepared statement") || output.stderr.contains("database error"), "\(output)")
            // With --pooler transaction it works.
            let pooled = try await BatonProcess.run(
                ["run", file, "--workers", "4", "--progress", "none", "--pooler", "transaction", "--database-url", bouncer.url(for: db)],
                database: nil)
            #expect(pooled.status == 0, "\(pooled)")
        }
    }
}
