import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Ctrl-C in the middle of a run, then either `baton resume` (finish it) or `baton cancel`
/// (give it up).
@Suite("Interrupting, resuming and cancelling runs (end to end)")
struct InterruptOperationsTests {
    @Test func sigintPrintsTheSummaryAndExits130ThenResumeFinishesWithoutDuplicates() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws)

            let interrupted = try await Ops.interruptedRun(file, run: "nightly", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(interrupted.stdout.contains("run nightly"), "\(interrupted)")
            #expect(interrupted.stdout.contains("interrupted (still running: resume with `baton resume nightly`)"), "\(interrupted)")
            #expect(interrupted.stdout.contains("exit 130"), "\(interrupted)")
            #expect(interrupted.stderr.contains("stopping"), "\(interrupted)")
            // The summary's numbers are the rows written: in-flight items committed before exit.
            let written = try Ops.count(conn, "SELECT count(*) FROM slow_out")
            let nap = Ops.stageTable(interrupted.stdout)["nap"]
            #expect(nap?["done"] == "\(written)", "\(interrupted)")
            #expect(written > 0 && written < 2_000)
            #expect(try Ops.runState(conn, "nightly") == "running")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'running'") == 0)

            let resumed = try await BatonProcess.run(["resume", "nightly", "--workers", "4", "--progress", "none"], database: db)
            #expect(resumed.status == 0, "\(resumed)")
            #expect(resumed.stdout.contains("succeeded"), "\(resumed)")
            #expect(Ops.stageTable(resumed.stdout)["nap"]?["done"] == "2000", "\(resumed)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == 2_000)
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM slow_out") == 2_000)
            #expect(try Ops.itemStates(conn, run: "nightly") == ["nap": ["done": 2_000]])
            #expect(try Ops.runState(conn, "nightly") == "succeeded")
        }
    }

    @Test func cancellingAnInterruptedRunCancelsItsPendingItemsAndResumeRefuses() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws)

            let interrupted = try await Ops.interruptedRun(file, run: "doomed", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            let written = try Ops.count(conn, "SELECT count(*) FROM slow_out")
            let pending = try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending'")
            #expect(pending == 2_000 - written)
            #expect(Ops.stageTable(interrupted.stdout)["nap"]?["pending"] == "\(pending)", "\(interrupted)")

            let cancel = try await BatonProcess.run(["cancel", "doomed"], database: db)
            #expect(cancel.status == 0, "\(cancel)")
            #expect(cancel.stdout.contains("cancelled run doomed: \(pending) pending items will not run"), "\(cancel)")
            #expect(try Ops.itemStates(conn, run: "doomed") == ["nap": ["done": written, "cancelled": pending]])
            #expect(try Ops.runState(conn, "doomed") == "cancelled")

            let resume = try await BatonProcess.run(["resume", "doomed", "--progress", "none"], database: db)
            #expect(resume.status == 64, "\(resume)")
            #expect(resume.stderr.contains("run doomed was cancelled; start a new run instead"), "\(resume)")
            // `baton run` with the same name resumes, so it refuses too.
            let rerun = try await BatonProcess.run(["run", file, "--run", "doomed", "--progress", "none"], database: db)
            #expect(rerun.status == 64, "\(rerun)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == written)
            #expect(try Ops.itemStates(conn, run: "doomed") == ["nap": ["done": written, "cancelled": pending]])

            let status = try await BatonProcess.run(["status", "doomed"], database: db)
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("run doomed (id 1) of pipeline slow: cancelled"), "\(status)")
            let row = Ops.stageTable(status.stdout)["nap"]
            #expect(row?["cancelled"] == "\(pending)" && row?["pending"] == "0" && row?["done"] == "\(written)", "\(status)")
            let json = try Ops.json(try await BatonProcess.run(["status", "doomed", "--json"], database: db).stdout)
            #expect((json["run"] as? [String: Any])?["state"] as? String == "cancelled")
        }
    }

    @Test func aCancelledRunCannotBeReplayedBackToLife() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            try ws.writeIDs("picky", count: 2_000)
            // Items 1, 101, 201… fail at once in `check`; the rest sleep in `nap`.
            let file = try ws.write("picky.yaml", """
                pipeline: picky
                source:
                  jsonl: \(ws.url.path)/fixtures/picky.jsonl
                  key: .id
                stages:
                  - name: check
                    jq: 'if .id % 100 == 1 then error("no") else . end'
                  - name: nap
                    sql: insert into slow_out (id) select :id::int from pg_sleep(0.005)
                    batch_size: 10
                """)
            let interrupted = try await Ops.interruptedRun(file, run: "gone", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(try await BatonProcess.run(["cancel", "gone"], database: db).status == 0)
            let before = try Ops.rows(conn, "SELECT stage, key, state FROM baton.items ORDER BY id")
            let failed = try Ops.itemStates(conn, run: "gone")["check"]?["failed"] ?? 0
            #expect(failed > 0)

            let replay = try await BatonProcess.run(["replay", "gone", "--progress", "none"], database: db)
            #expect(replay.status == 64, "\(replay)")
            #expect(replay.stderr.contains("run gone was cancelled; start a new run instead"), "\(replay)")
            #expect(try Ops.runState(conn, "gone") == "cancelled")
            #expect(try Ops.rows(conn, "SELECT stage, key, state FROM baton.items ORDER BY id") == before)
        }
    }

    @Test func cancellingAFinishedRunKeepsItsOutcome() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            let file = try ws.write("two.yaml", """
                pipeline: two
                source:
                  items: [{id: 1}, {id: 2}]
                  key: .id
                stages:
                  - name: pick
                    jq: 'if .id == 2 then error("not two") else . end'
                """)
            #expect(try await BatonProcess.run(["run", file, "--run", "done-already", "--progress", "none"], database: db).status == 1)
            let cancel = try await BatonProcess.run(["cancel", "done-already"], database: db)
            #expect(cancel.status == 64, "\(cancel)")
            #expect(cancel.stderr.contains("run done-already already failed"), "\(cancel)")
            #expect(try Ops.runState(conn, "done-already") == "failed")
            #expect(try Ops.itemStates(conn, run: "done-already") == ["pick": ["done": 1, "failed": 1]])
            // … so it can still be replayed.
            let dry = try await BatonProcess.run(["replay", "done-already", "--dry-run"], database: db)
            #expect(dry.status == 0 && dry.stdout.contains("would re-run 1 item of run done-already:"), "\(dry)")
        }
    }

    @Test func cancellingTwiceIsHarmless() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let interrupted = try await Ops.interruptedRun(try Ops.slowPipeline(ws), run: "twice", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(try await BatonProcess.run(["cancel", "twice"], database: db).status == 0)
            let again = try await BatonProcess.run(["cancel", "twice"], database: db)
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout.contains("run twice is already cancelled"), "\(again)")
            #expect(try Ops.runState(conn, "twice") == "cancelled")
        }
    }

    @Test func sigtermStopsLikeSigintButExits75() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let stopped = try await Ops.interruptedRun(try Ops.slowPipeline(ws), run: "termed", database: db, conn: conn, signal: SIGTERM)
            #expect(stopped.status == 75, "\(stopped)")
            #expect(stopped.stdout.contains("stopped by SIGTERM"), "\(stopped)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'running'") == 0)
            #expect(try Ops.runState(conn, "termed") == "running")
        }
    }

    @Test func cancellingARunWhileAProcessWorksItStopsThatProcess() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 5_000)
            let worker = try BatonProcess.start(["run", file, "--run", "live", "--workers", "2", "--progress", "none"], database: db)
            var waited = 0
            while ((try? Ops.count(conn, "SELECT count(*) FROM slow_out")) ?? 0) < 50, waited < 1_000 {
                try await Task.sleep(for: .milliseconds(20))
                waited += 1
            }
            let cancel = try await BatonProcess.run(["cancel", "live"], database: db)
            #expect(cancel.status == 0, "\(cancel)")
            let output = try await worker.wait(timeout: .seconds(60))
            #expect(output.status == 1, "\(output)")
            #expect(output.stdout.contains("cancelled"), "\(output)")
            #expect(try Ops.runState(conn, "live") == "cancelled")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state IN ('pending', 'running')") == 0)
            let written = try Ops.count(conn, "SELECT count(*) FROM slow_out")
            #expect(written < 5_000)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'done'") == written)
        }
    }
}

@Suite("Long-lived workers (end to end)")
struct WorkOperationsTests {
    @Test func batonWorkFinishesARunAnotherProcessLeftHalfDone() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws)
            let interrupted = try await Ops.interruptedRun(file, run: "handover", database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") < 2_000)

            // A worker that only knows the database: it takes the definition stored with the run.
            try FileManager.default.removeItem(atPath: file)
            let work = try await BatonProcess.run(["work", "--once", "--workers", "3"], database: db, directory: ws.url)
            #expect(work.status == 0, "\(work)")
            #expect(work.stderr.contains("run handover is succeeded"), "\(work)")
            #expect(try Ops.runState(conn, "handover") == "succeeded")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == 2_000)
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM slow_out") == 2_000)
        }
    }
}
