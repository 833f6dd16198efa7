import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The promise of Baton: killing the process at any moment and rerunning the same run gives
/// every effect exactly once.
@Suite("Crash safety (end to end)", .serialized)
struct CrashSafetyTests {
    static let items = 20_000

    static func pipeline(_ ws: Workspace) throws -> String {
        let lines = (1...items).map { #"{"id": \#($0), "name": "item-\#($0)"}"# }
        try ws.write("fixtures/items.jsonl", lines.joined(separator: "\n") + "\n")
        return try ws.write("crash.yaml", """
            pipeline: crash
            defaults:
              lease: 1s
              batch_size: 10
            source:
              jsonl: \(ws.url.path)/fixtures/items.jsonl
              key: .id
            stages:
              - name: shape
                jq: '{id, tag: (.name | ascii_upcase), double: (.id * 2)}'
              - name: fan
                jq: '{id, tag, double}, {id: (.id + 1000000), tag, double: (.double + 1)}'
              - name: load
                sql: insert into crash_out (id, tag, double) values (:id, :tag, :double)
            """)
    }

    @Test func killedAtRandomMomentsTheRerunsLeaveExactlyOneRowPerItem() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            let conn = try db.connect()
            // No unique constraint: a duplicate effect would show as a second row.
            try conn.execute("CREATE TABLE crash_out (id bigint, tag text, double bigint)")

            var kills = 0
            var finished = false
            var rng = SystemRandomNumberGenerator()
            while !finished {
                let process = try BatonProcess.start(["run", file, "--run", "crashy", "--workers", "3", "--progress", "none"], database: db)
                if kills < 20 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 100...600, using: &rng)))
                    if process.process.isRunning {
                        process.signal(SIGKILL)
                        _ = try await process.wait()
                        kills += 1
                        continue
                    }
                }
                let output = try await process.wait()
                if output.status == 0 {
                    finished = true
                } else {
                    Issue.record("rerun failed: \(output)")
                    return
                }
            }
            #expect(kills >= 20)
            let expected = Self.items * 2
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM crash_out") == expected)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM crash_out") == expected)
            #expect(try EngineFixture.count(conn, """
                SELECT count(*) FROM crash_out
                WHERE (id <= 1000000 AND (double <> id * 2 OR tag <> 'ITEM-' || id))
                   OR (id > 1000000 AND (double <> (id - 1000000) * 2 + 1 OR tag <> 'ITEM-' || (id - 1000000)))
                """) == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state <> 'done'") == 0)
            // load is fused into the stage before it: its counts, kept per commit, are exact too.
            #expect(try EngineFixture.count(conn, "SELECT coalesce(sum(done), 0)::bigint FROM baton.batches WHERE stage = 'load'") == expected)
            #expect(try conn.query("SELECT state FROM baton.runs").rows[0].decode(String.self, 0) == "succeeded")
        }
    }

    @Test func fourProcessesShareOneRunAndEveryItemTakesEffectOnce() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE crash_out (id bigint, tag text, double bigint)")
            let processes = try (0..<4).map { _ in
                try BatonProcess.start(["run", file, "--run", "shared", "--workers", "2", "--json", "--progress", "none"], database: db)
            }
            var outputs: [BatonProcess.Output] = []
            for process in processes { outputs.append(try await process.wait()) }
            for output in outputs { #expect(output.status == 0, "\(output)") }
            let expected = Self.items * 2
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM crash_out") == expected)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM crash_out") == expected)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.runs") == 1)
            // Work really was shared: items were finished by several processes.
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT split_part(leased_by, '/', 1)) FROM baton.items") >= 2)
            // Every process reports the same, complete numbers.
            for output in outputs {
                let summary = try #require(try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
                let stages = try #require(summary["stages"] as? [[String: Any]])
                let done = stages.map { ($0["name"] as? String ?? "", $0["done"] as? Int ?? -1) }
                #expect(done.map(\.0) == ["shape", "fan", "load"])
                #expect(done.map(\.1) == [Self.items, Self.items, expected])
            }
        }
    }
}
