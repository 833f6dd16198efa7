import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Dead runs do not look alive: every process working a run keeps a heartbeat row; a
/// running run nobody works shows as interrupted with the command that continues it, and a
/// killed process is not listed as holding items (issue 10, point 7).
@Suite("Worker liveness (end to end)", .serialized)
struct LivenessOperationsTests {
    @Test func anInterruptedRunShowsAsInterruptedWithTheResumeCommand() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws)
            let interrupted = try await Ops.interruptedRun(file, run: "nightly", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(try Ops.runState(conn, "nightly") == "running", "stored state unchanged")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.workers") == 0, "a process that stops removes its row")

            let list = try await BatonProcess.run(["status"], database: db)
            #expect(list.status == 0, "\(list)")
            let row = try #require(list.stdout.split(separator: "\n").first { $0.contains("nightly") }, "\(list)")
            #expect(row.contains("interrupted"), "\(list)")
            #expect(list.stdout.contains("run nightly is interrupted: no process works it; continue it with `baton resume nightly`"), "\(list)")
            let one = try await BatonProcess.run(["status", "nightly"], database: db)
            #expect(one.stdout.hasPrefix("run nightly (id 1) of pipeline slow: interrupted\n"), "\(one)")
            #expect(one.stdout.contains("continue it with `baton resume nightly`"), "\(one)")
            let json = try Ops.json(try await BatonProcess.run(["status", "nightly", "--json"], database: db).stdout)
            let run = try #require(json["run"] as? [String: Any])
            #expect(run["state"] as? String == "running" && run["display_state"] as? String == "interrupted", "\(json)")
            #expect((json["workers"] as? [Any])?.isEmpty == true, "\(json)")
        }
    }

    @Test func aKilledProcessStopsCountingAsAWorkerAndItsLeasedItemsAreSaidToBeHeldByAStoppedProcess() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            // A transform that takes its time: commits are sent in one round trip and finish on
            // the server even if the process dies, so items are left leased only when it dies
            // while transforming them.
            try ws.writeIDs("spin", count: 4_000)
            let file = try ws.write("spin.yaml", """
                pipeline: slow
                source:
                  jsonl: \(ws.url.path)/fixtures/spin.jsonl
                  key: .id
                stages:
                  - name: spin
                    jq: '. as $item | [range(0; 100000)] | length | $item'
                    batch_size: 10
                  - name: nap
                    sql: insert into slow_out (id) values (:id::int)
                """)
            let process = try BatonProcess.start(["run", file, "--run", "killed", "--workers", "2", "--progress", "none"], database: db)
            #expect(await Ops.wait(for: process, database: db, until: "SELECT count(*) FROM slow_out", reaches: 100))
            // While it works: one worker, alive, with its heartbeat and the items it holds.
            let live = try await BatonProcess.run(["status", "killed"], database: db)
            #expect(live.stdout.hasPrefix("run killed (id 1) of pipeline slow: running\n"), "\(live)")
            let name = "\(ProcessInfo.processInfo.hostName):\(process.pid)"
            #expect(live.stdout.contains("workers: \(name) (heartbeat "), "\(live)")
            process.signal(SIGKILL)
            _ = try await process.wait()
            // Its leases have not expired (30 s), its heartbeat has (15 s).
            try await Task.sleep(for: .seconds(17))
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'running'") > 0)
            let dead = try await BatonProcess.run(["status", "killed"], database: db)
            #expect(dead.stdout.hasPrefix("run killed (id 1) of pipeline slow: interrupted\n"), "\(dead)")
            #expect(!dead.stdout.contains("workers: "), "\(dead)")
            #expect(dead.stdout.contains("still leased by stopped process (\(name), last heartbeat"), "\(dead)")
            #expect(dead.stdout.contains("continue it with `baton resume killed`"), "\(dead)")
            let json = try Ops.json(try await BatonProcess.run(["status", "killed", "--json"], database: db).stdout)
            let workers = try #require(json["workers"] as? [[String: Any]])
            #expect(workers.count == 1 && workers[0]["alive"] as? Bool == false && (Ops.int(workers[0]["seconds_since_heartbeat"]) ?? 0) >= 15, "\(json)")
        }
    }
}
