@testable import Baton
@testable import BatonCLI
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `baton work` with more running runs than `--max-runs` slots (issue 14): the runs take
/// turns by `--slice`, none waits for another to end, and a run that yields its slot (even in
/// the middle of seeding) is resumed exactly.
@Suite("baton work shares its slots by time slices (end to end)", .serialized)
struct FairShareEndToEndTests {
    /// Starts run `name` of `file` and interrupts it once `table` has rows: the run is left
    /// `running`, for `baton work`.
    static func leaveRunning(_ file: String, run name: String, table: String, database db: TestDatabase) async throws {
        let process = try BatonProcess.start(["run", file, "--run", name, "--workers", "2", "--progress", "none"], database: db)
        let sent = await Ops.signal(process, SIGINT, database: db, when: "SELECT count(*) FROM \(table)", reaches: 20)
        let output = try await process.wait(timeout: .seconds(120))
        #expect(sent && output.status == 130, "\(output)")
    }

    /// A pipeline of `items` records (1 ms of work each) seeded in chunks of 5 000 records
    /// that its backlog of 500 holds back: seeding goes on while its run is worked.
    static func longPipeline(_ ws: Workspace, name: String, items: Int) throws -> String {
        try SharedWorkEndToEndTests.pipeline(ws, name: name, items: items, stage: "load", nap: 0.001, batchSize: 50, backlog: 500)
    }

    /// `baton work --once` stopped by SIGINT or SIGTERM while a run still had work exited 0,
    /// and "exit 0 means the work was done". It exits 130 or 75 now, the run left running.
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(75))])
    func workOnceStoppedBeforeTheEndDoesNotExitZero(signal: Int32, expected: Int32) async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.longPipeline(ws, name: "stopped", items: 20_000)
            try await Self.leaveRunning(file, run: "stopped", table: "out_stopped", database: db)
            let worker = try BatonProcess.start(["work", "--once", "--workers", "2", "--poll", "0.2", "--progress", "none"], database: db)
            let conn = try db.connect()
            let before = try Ops.count(conn, "SELECT count(*) FROM out_stopped")
            let sent = await Ops.signal(worker, signal, database: db, when: "SELECT count(*) FROM out_stopped", reaches: before + 50)
            let output = try await worker.wait(timeout: .seconds(120))
            #expect(sent && output.status == expected, "\(output)")
            #expect(try Ops.runState(conn, "stopped") == "running")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_stopped") < 20_000)
        }
    }

    @Test func threeRunsTakeTurnsInOneSlotAndAllEndExact() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            let names = ["alpha", "beta", "gamma"]
            for name in names {
                let file = try SharedWorkEndToEndTests.pipeline(ws, name: name)
                try await Self.leaveRunning(file, run: name, table: "out_\(name)", database: db)
            }
            let before = try names.map { try Ops.count(conn, "SELECT count(*) FROM out_\($0)") }
            #expect(before.allSatisfy { $0 < SharedWorkEndToEndTests.items }, "\(before)")

            // One slot for three runs of about 4 s of work each, by slices of 1 s.
            let worker = try BatonProcess.start(
                ["work", "--max-runs", "1", "--slice", "1s", "--workers", "2", "--poll", "0.2", "--once", "--progress", "none"],
                database: db)
            var progressed = [false, false, false]
            let deadline = ContinuousClock.now + .seconds(240)
            while ContinuousClock.now < deadline {
                let counts = try names.map { try Ops.count(conn, "SELECT count(*) FROM out_\($0)") }
                for index in names.indices where counts[index] > before[index] { progressed[index] = true }
                if try names.contains(where: { try Ops.runState(conn, $0) != "running" }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(progressed == [true, true, true], "every run progressed before any ended: \(progressed)")
            let output = try await worker.wait(timeout: .seconds(240))
            #expect(output.status == 0, "\(output)")
            for name in names {
                #expect(output.stderr.contains("run \(name) yielded its slot"), "\(name) took turns\n\(output)")
                #expect(try Ops.runState(conn, name) == "succeeded")
                #expect(try Ops.count(conn, "SELECT count(*) FROM out_\(name)") == SharedWorkEndToEndTests.items, "\(name): every item once")
                #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM out_\(name)") == SharedWorkEndToEndTests.items)
            }
        }
    }

    /// `baton work --once` with two slots, beside run `good` (left running by the caller).
    static func workOnceBesideGood(_ db: TestDatabase) async throws -> BatonProcess.Output {
        try await BatonProcess.start(["work", "--max-runs", "2", "--workers", "2", "--poll", "0.2", "--once", "--progress", "none"],
                                     database: db).wait(timeout: .seconds(240))
    }

    /// Run `good` went on and finished, every item once.
    static func expectGoodFinished(_ conn: Connection, _ output: BatonProcess.Output, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try Ops.runState(conn, "good") == "succeeded", "the other run went on\n\(output)", sourceLocation: sourceLocation)
        #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM out_good") == SharedWorkEndToEndTests.items, sourceLocation: sourceLocation)
        #expect(try Ops.count(conn, "SELECT count(*) FROM out_good") == SharedWorkEndToEndTests.items, sourceLocation: sourceLocation)
    }

    /// A run whose http service is down (its stage's `failure_budget` used up) once stopped
    /// every run of the `baton work` process. Now only that run is set aside (tried again after
    /// a cooldown; with --once the process exits 69 for it), and the other runs finish.
    @Test func aRunHaltedByItsFailureBudgetLeavesTheOtherRunsWorking() async throws {
        let down = try TestHTTPServer.start { _ in .status(503) }
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try await Self.leaveRunning(try SharedWorkEndToEndTests.pipeline(ws, name: "good"), run: "good", table: "out_good", database: db)
            let calls = try ws.idsPipeline("calls", count: 200, stages: """
                  - name: call
                    http:
                      url: \(down.baseURL)/items/{{ .id }}
                      failure_budget: 3
                    retry: { max_attempts: 5, initial: 50ms }
                """)
            let seeded = try await BatonProcess.run(["run", calls, "--run", "calls", "--seed-only", "--progress", "none"], database: db)
            #expect(seeded.status == 0, "\(seeded)")

            let output = try await Self.workOnceBesideGood(db)
            #expect(output.status == 69, "the halted run is work left undone\n\(output)")
            #expect(output.stderr.contains("run calls halted"), "\(output)")
            try Self.expectGoodFinished(conn, output)
            #expect(try Ops.runState(conn, "calls") == "running", "resumable once the service is back")
        }
    }

    /// `baton work --once` exited 0 while it had skipped a run it could not work (its SQL no
    /// longer prepares): exit 0 must mean the work was done. The other runs still finish.
    @Test func aRunSkippedByWorkOnceMakesItsExitCodeNotZero() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try await Self.leaveRunning(try SharedWorkEndToEndTests.pipeline(ws, name: "good"), run: "good", table: "out_good", database: db)
            try conn.execute("CREATE TABLE gone (id int)")
            let doomed = try ws.idsPipeline("doomed", count: 50, stages: """
                  - name: load
                    sql: insert into gone (id) values (:id)
                """)
            let seeded = try await BatonProcess.run(["run", doomed, "--run", "doomed", "--seed-only", "--progress", "none"], database: db)
            #expect(seeded.status == 0, "\(seeded)")
            try conn.execute("DROP TABLE gone")

            let output = try await Self.workOnceBesideGood(db)
            #expect(output.status == 78, "a run left undone\n\(output)")
            #expect(output.stderr.contains("the SQL of run doomed does not prepare; skipping it"), "\(output)")
            try Self.expectGoodFinished(conn, output)
            #expect(try Ops.runState(conn, "doomed") == "running")
        }
    }

    @Test func aRunThatYieldsInTheMiddleOfSeedingResumesExactly() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            let names = ["tide", "surf"]
            let items = 11_000
            for name in names {
                let file = try Self.longPipeline(ws, name: name, items: items)
                try await Self.leaveRunning(file, run: name, table: "out_\(name)", database: db)
            }
            // Seeding stopped after the first chunk: the rest is seeded while `baton work` works.
            for name in names {
                #expect(try Ops.rows(conn, "SELECT seed_done::text, seeded FROM baton.runs WHERE name = $1", [name]) == ["false|5000"])
            }

            let worker = try BatonProcess.start(
                ["work", "--max-runs", "1", "--slice", "1s", "--workers", "2", "--poll", "0.2", "--progress", "none"], database: db)
            // A run that said it yielded its slot while its seeding is not done (only this process
            // seeds it, and seeding is never undone): it yielded in the middle of seeding.
            var yieldedMidSeed = Set<String>()
            let deadline = ContinuousClock.now + .seconds(240)
            while ContinuousClock.now < deadline && yieldedMidSeed.isEmpty {
                if try names.contains(where: { try Ops.runState(conn, $0) != "running" }) { break }
                let log = (try? String(contentsOfFile: worker.stderrPath, encoding: .utf8)) ?? ""
                for name in names where log.contains("run \(name) yielded its slot") {
                    if try Ops.rows(conn, "SELECT seed_done::text FROM baton.runs WHERE name = $1", [name]) == ["false"] {
                        yieldedMidSeed.insert(name)
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!yieldedMidSeed.isEmpty, "a run yielded its slot before its seeding was done")
            // Both are attended (the waiting one by this process's heartbeat row for its queue):
            // `baton status` shows them running, not interrupted.
            var attended = false
            let settle = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < settle && !attended {
                attended = try Ops.count(conn, """
                    SELECT count(DISTINCT w.run_id) FROM baton.workers w JOIN baton.runs r ON r.id = w.run_id
                    WHERE r.state = 'running' AND w.seen_at > now() - interval '15 seconds'
                    """) == names.count
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(attended, "both runs have a live heartbeat row")
            // SIGTERM drains every run and exits; the runs stay running.
            worker.signal(SIGTERM)
            let stopped = try await worker.wait(timeout: .seconds(120))
            #expect(stopped.status == 0, "\(stopped)")
            #expect(stopped.stderr.contains("yielded its slot"), "\(stopped)")
            for name in names { #expect(try Ops.runState(conn, name) == "running") }
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.workers") == 0, "no heartbeat row is left behind")

            // A second process takes turns with them again until both are done.
            let finisher = try await BatonProcess.start(
                ["work", "--max-runs", "1", "--slice", "1s", "--workers", "2", "--poll", "0.2", "--once", "--progress", "none"],
                database: db).wait(timeout: .seconds(240))
            #expect(finisher.status == 0, "\(finisher)")
            for name in names {
                #expect(try Ops.runState(conn, name) == "succeeded")
                #expect(try Ops.rows(conn, "SELECT seed_done::text, seeded FROM baton.runs WHERE name = $1", [name]) == ["true|\(items)"])
                #expect(try Ops.count(conn, "SELECT count(*) FROM out_\(name)") == items, "\(name): every item once")
                #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM out_\(name)") == items)
                #expect(try Ops.itemStates(conn, run: name) == ["load": ["done": items]])
            }
        }
    }

    @Test func aYieldLetsThePageAnHTTPSourceIsReadingCommitAndNoPageIsReadTwice() async throws {
        // An http source seeds a chunk per page; after the first, each page takes 1.2 s to
        // answer, longer than a slice: cut short by a yield, it would be asked for again, and
        // would never commit while the other run waits.
        let api = try PagedAPI(count: 1_000, pageSize: 100)
        api.intercept.withLock { $0 = { _, query in
            if query["page"] != nil { usleep(1_200_000) }
            return nil
        } }
        let ws = try Workspace()
        defer { ws.remove() }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            // A run of a file source waits for the slot whenever the api run has it.
            let other = try SharedWorkEndToEndTests.pipeline(ws, name: "alpha")
            try await Self.leaveRunning(other, run: "alpha", table: "out_alpha", database: db)
            let file = try HTTPSourceTests.pipeline(ws, url: api.baseURL + "/next", records: ".data", paginate: "{ next_url: .links.next }")
            try await Self.leaveRunning(file, run: "api", table: "got", database: db)
            #expect(try Ops.rows(conn, "SELECT seed_done::text, seeded FROM baton.runs WHERE name = 'api'") == ["false|100"])

            let asked = api.requests("/next").count
            let worker = try await BatonProcess.start(
                ["work", "--max-runs", "1", "--slice", "1s", "--workers", "2", "--poll", "0.2", "--once", "--progress", "none"],
                database: db).wait(timeout: .seconds(240))
            #expect(worker.status == 0, "\(worker)")
            #expect(worker.stderr.contains("run api yielded its slot"), "\(worker)")
            // Each page once, in order: no yield cut a page short.
            let pages = api.requests("/next").dropFirst(asked).map { $0["page"] ?? "1" }
            #expect(pages == (2...10).map(String.init), "\(pages)")
            #expect(try Ops.rows(conn, "SELECT state, seeded FROM baton.runs WHERE name = 'api'") == ["succeeded|1000"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM got") == 1_000)
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM got") == 1_000)
            #expect(try Ops.runState(conn, "alpha") == "succeeded")
        }
    }
}

/// The turns `baton work` gives its slots (``WorkSlots``), without a database.
@Suite("baton work's slots take turns")
struct WorkSlotsTests {
    static func run(_ id: Int64, seeded: Bool = true) -> RunRecord {
        RunRecord(id: id, pipeline: "p", name: "r\(id)", state: .running, seedDone: seeded, seedPosition: 0, seedLine: 0,
                  seeded: seeded ? 10 : 0, definitionHash: "", createdAt: Date())
    }

    /// Starts the first waiting runs of `slots` in its `capacity` slots, as `baton work` does.
    static func fill(_ slots: WorkSlots, _ runs: [RunRecord], capacity: Int) -> [Int64: RunController] {
        var controllers: [Int64: RunController] = [:]
        for run in slots.queue(runs).prefix(max(0, capacity - slots.workingCount)) {
            let controller = RunController()
            slots.start(run, seedsHere: !run.seedDone, controller: controller)
            controllers[run.id] = controller
        }
        return controllers
    }

    @Test func nothingTurnsWhileNoRunWaits() {
        let slots = WorkSlots()
        let runs = [Self.run(1), Self.run(2)]
        let controllers = Self.fill(slots, runs, capacity: 2)
        #expect(slots.queue(runs).isEmpty)
        #expect(slots.rotate(slice: .zero, capacity: 2).isEmpty)
        #expect(controllers.values.allSatisfy { !$0.isStopping })
    }

    @Test func theLongestHeldSlotGoesToTheLongestWaitingRunAndItsRunQueuesLast() {
        let slots = WorkSlots()
        let runs = [Self.run(1), Self.run(2), Self.run(3)]
        let first = Self.fill(slots, runs, capacity: 1)
        #expect(Array(first.keys) == [1])
        #expect(slots.rotate(slice: .seconds(60), capacity: 1).isEmpty, "not held for a slice yet")
        // Runs 2 and 3 wait; one slot frees at a time, so only run 1 yields.
        #expect(slots.rotate(slice: .zero, capacity: 1).map(\.id) == [1])
        #expect(first[1]!.isYielding && first[1]!.stopReason == .none)
        #expect(slots.rotate(slice: .zero, capacity: 1).isEmpty, "a slot is freeing already")
        slots.finish(1)
        #expect(slots.queue(runs).map(\.id) == [2, 3, 1])
        #expect(Array(Self.fill(slots, runs, capacity: 1).keys) == [2])
        #expect(slots.queue(runs).map(\.id) == [3, 1])
    }

    @Test func aRunThatSeedsHereKeepsItsSlotUntilItsFirstChunk() {
        let slots = WorkSlots()
        var fresh = Self.run(1, seeded: false)
        let controllers = Self.fill(slots, [fresh, Self.run(2)], capacity: 1)
        #expect(slots.rotate(slice: .zero, capacity: 1).isEmpty)
        fresh.seedLine = 5_000
        _ = slots.queue([fresh, Self.run(2)])
        #expect(slots.rotate(slice: .zero, capacity: 1).map(\.id) == [1])
        #expect(controllers[1]!.isYielding)
    }

    @Test func aStopTurnsAYieldIntoThatStopAndASecondOneAborts() {
        let slots = WorkSlots()
        let controllers = Self.fill(slots, [Self.run(1), Self.run(2)], capacity: 1)
        _ = slots.queue([Self.run(1), Self.run(2)])
        _ = slots.rotate(slice: .zero, capacity: 1)
        let process = RunController()
        process.requestStop(.terminate)
        slots.forward(process)
        #expect(!controllers[1]!.isYielding && controllers[1]!.stopReason == .terminate && !controllers[1]!.isAborting)
        slots.forward(process)
        #expect(!controllers[1]!.isAborting, "forwarded once")
        process.requestStop(.terminate)
        slots.forward(process)
        #expect(controllers[1]!.isAborting)
    }

    @Test func aQueuedRunKeepsAHeartbeatRowUntilItLeavesTheQueue() {
        let slots = WorkSlots()
        let runs = [Self.run(1), Self.run(2)]
        _ = Self.fill(slots, runs, capacity: 1)
        #expect(slots.queueBeats(every: .seconds(2)) == (beat: [2], remove: []))
        #expect(slots.queueBeats(every: .seconds(2)) == (beat: [], remove: []), "beaten recently")
        #expect(!slots.isQueueBeatDue(every: .seconds(2)))
        // Run 2 ends elsewhere: its row goes.
        _ = slots.queue([Self.run(1)])
        #expect(slots.queueBeats(every: .seconds(2)) == (beat: [], remove: [2]))
        #expect(slots.endQueueBeats().isEmpty)
    }
}
