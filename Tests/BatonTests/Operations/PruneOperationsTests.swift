import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// `baton prune --older-than D`: finished runs go with all their rows; running runs stay.
@Suite("Pruning runs (end to end)")
struct PruneOperationsTests {
    @Test func pruneRemovesFinishedRunsWithTheirRowsAndNeverARunningRun() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let quick = try ws.write("quick.yaml", """
                pipeline: quick
                source:
                  items: [{id: 1}, {id: 2}, {id: 3}, {id: 4}]
                  key: .id
                stages:
                  - name: pick
                    jq: 'if .id == 4 then error("four is out") else . end'
                  - name: tag
                    jq: '{id, tag: "t\\(.id)"}'
                    fuse: false
                """)
            // A succeeded run, a failed run, and an interrupted one that is still running.
            #expect(try await BatonProcess.run(["run", quick, "--run", "ok-run", "--progress", "none"], database: db).status == 1)
            try ws.write("quick.yaml", try String(contentsOfFile: quick, encoding: .utf8).replacingOccurrences(of: "4 then", with: "40 then"))
            #expect(try await BatonProcess.run(["run", quick, "--run", "good-run", "--progress", "none"], database: db).status == 0)
            let slow = try Ops.slowPipeline(ws)
            let interrupted = try await Ops.interruptedRun(slow, run: "live-run", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(try Ops.runState(conn, "live-run") == "running")
            #expect(try Ops.runState(conn, "ok-run") == "failed")

            let finishedItems = try Ops.count(conn, """
                SELECT count(*) FROM baton.items i JOIN baton.runs r ON r.id = i.run_id WHERE r.state <> 'running'
                """)
            #expect(finishedItems == 8 + 8 - 1)
            let liveItems = try Ops.count(conn, """
                SELECT count(*) FROM baton.items i JOIN baton.runs r ON r.id = i.run_id WHERE r.name = 'live-run'
                """)
            let everything = try Ops.rows(conn, "SELECT run_id, stage, key, state FROM baton.items ORDER BY id")

            // The dry run names the finished runs and counts their items, and deletes nothing.
            let dry = try await BatonProcess.run(["prune", "--older-than", "0s", "--dry-run"], database: db)
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("would remove 2 runs and \(finishedItems) items:"), "\(dry)")
            #expect(dry.stdout.contains("  quick/ok-run\n") && dry.stdout.contains("  quick/good-run\n"), "\(dry)")
            #expect(!dry.stdout.contains("live-run"), "\(dry)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 3)
            #expect(try Ops.rows(conn, "SELECT run_id, stage, key, state FROM baton.items ORDER BY id") == everything)

            // A duration that has not passed yet removes nothing.
            let young = try await BatonProcess.run(["prune", "--older-than", "1h"], database: db)
            #expect(young.status == 0 && young.stdout.contains("no finished run older than 1h"), "\(young)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 3)

            let prune = try await BatonProcess.run(["prune", "--older-than", "0s"], database: db)
            #expect(prune.status == 0, "\(prune)")
            #expect(prune.stdout.contains("removed 2 runs and \(finishedItems) items:"), "\(prune)")
            #expect(try Ops.rows(conn, "SELECT name FROM baton.runs") == ["live-run"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items") == liveItems)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE run_id NOT IN (SELECT id FROM baton.runs)") == 0)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.attempts WHERE run_id NOT IN (SELECT id FROM baton.runs)") == 0)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results WHERE run_id NOT IN (SELECT id FROM baton.runs)") == 0)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.counters WHERE run_id NOT IN (SELECT id FROM baton.runs)") == 0)
            let status = try await BatonProcess.run(["status", "ok-run"], database: db)
            #expect(status.status == 64, "\(status)")

            // The running run was left intact: it still resumes to the end.
            let resumed = try await BatonProcess.run(["resume", "live-run", "--progress", "none"], database: db)
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM slow_out") == 2_000)
        }
    }

    @Test func pruneRejectsADurationItCannotRead() async throws {
        try await TestDatabase.with { db in
            let prune = try await BatonProcess.run(["prune", "--older-than", "soon"], database: db)
            #expect(prune.status == 64, "\(prune)")
            #expect(prune.stderr.contains("--older-than soon: not a duration"), "\(prune)")
        }
    }
}
