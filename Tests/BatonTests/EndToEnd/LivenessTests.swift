import Baton
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Nothing stuck: the faults that once hung a run, ended it, or could not be stopped.
@Suite("Liveness under faults (end to end)")
struct LivenessTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `fixtures/items.jsonl`: `{"id": n, "v": "vn"}` for n in 1…items.
    static func writeItems(_ ws: Workspace, _ items: Int) throws {
        try ws.write("fixtures/items.jsonl", (1...items).map { #"{"id": \#($0), "v": "v\#($0)"}"# }.joined(separator: "\n") + "\n")
    }

    /// N items through jq into a sink without a unique constraint (a duplicate effect shows).
    /// `slow`: each insert sleeps 1 ms, so a fault injected after the first rows lands mid-run.
    static func sinkPipeline(_ ws: Workspace, items: Int, lease: String = "2s", slow: Bool = false) throws -> String {
        try Self.writeItems(ws, items)
        return try ws.write("live.yaml", """
            pipeline: live
            defaults: { lease: \(lease) }
            setup: create table if not exists sink (id bigint, v text)
            source:
              jsonl: \(ws.url.path)/fixtures/items.jsonl
              key: .id
            stages:
              - name: shape
                jq: '{id, v}'
              - name: sink
                sql: \(slow ? "insert into sink select :id, :v from pg_sleep(0.001)" : "insert into sink values (:id, :v)")
            """)
    }

    static func expectExactSink(_ conn: Connection, _ items: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let row = try conn.query("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0)::bigint FROM sink").rows[0]
        #expect(try row.decode(Int.self, 0) == items, sourceLocation: sourceLocation)
        #expect(try row.decode(Int.self, 1) == items, sourceLocation: sourceLocation)
        #expect(try row.decode(Int64.self, 2) == Int64(items) * Int64(items + 1) / 2, sourceLocation: sourceLocation)
    }

    static func waitForRows(_ conn: Connection, atLeast rows: Int, process: BatonProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? conn.query("SELECT count(*) FROM sink").rows[0].decode(Int.self, 0)) ?? 0 < rows {
            guard process.process.isRunning, ContinuousClock.now < deadline else { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A process paused between two statements (a stopped VM, a partition) once held its row
    /// locks forever and a second process hung on them. Now its commits never leave a
    /// transaction open, its leases expire, and the second process finishes the run.
    @Test func aPausedWorkerDoesNotBlockTheRun() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 20_000
            let file = try Self.sinkPipeline(ws, items: items)
            let conn = try db.connect()
            let first = try BatonProcess.start(["run", file, "--run", "z", "--progress", "none"], database: db)
            try await Self.waitForRows(conn, atLeast: 500, process: first)
            first.signal(SIGSTOP)
            defer { first.signal(SIGCONT) }
            let second = try await BatonProcess.run(["run", file, "--run", "z", "--progress", "none"], database: db)
            #expect(second.status == 0, "\(second)")
            #expect(try Ops.runState(conn, "z") == "succeeded")
            try Self.expectExactSink(conn, items)
            first.signal(SIGCONT)
            let late = try await first.wait()
            #expect([0, 75].contains(late.status), "\(late)")
            try Self.expectExactSink(conn, items)
        }
    }

    /// A process paused in the middle of a transaction (its seeding had updated the run's row;
    /// the chaos suite caught one mid-COPY) once blocked the set-up of every process joining
    /// the run: set-up ran before any stall reaper, waited 30 s for an answer, reconnected,
    /// and gave up with exit 69. Now set-up has a reaper beside it.
    @Test func aSessionStalledMidTransactionDoesNotBlockASecondProcessSetUp() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 3_000
            let file = try Self.sinkPipeline(ws, items: items, slow: true)
            let conn = try db.connect()
            let first = try BatonProcess.start(["run", file, "--run", "s", "--progress", "none"], database: db)
            try await Self.waitForRows(conn, atLeast: 100, process: first)
            first.signal(SIGKILL)
            _ = try await first.wait()
            // A stand-in for the paused process: the run's row updated, the sink locked, and a
            // COPY left half-sent, inside one open transaction.
            let holding = Task { await Self.onThread {
                Result {
                    try db.connect().transaction { holder in
                        try holder.execute("UPDATE baton.runs SET updated_at = now() WHERE name = 's'")
                        try holder.execute("LOCK TABLE sink IN ACCESS EXCLUSIVE MODE")
                        try holder.execute("CREATE TEMP TABLE held (n int)")
                        try holder.copyIn("COPY held (n) FROM STDIN") { writer in
                            try writer.appendRow(["1"])
                            Thread.sleep(forTimeInterval: 30)
                            try writer.appendRow(["2"])
                        }
                    }
                }
            } }
            var waiting = false
            for _ in 0..<200 where !waiting {
                try await Task.sleep(for: .milliseconds(50))
                waiting = try !Store.clientWaits(conn).isEmpty
            }
            #expect(waiting)
            let started = ContinuousClock.now
            let second = try await BatonProcess.run(["run", file, "--run", "s", "--progress", "none"], database: db)
            #expect(second.status == 0, "\(second)")
            #expect(ContinuousClock.now - started < .seconds(25), "the second process waited for the stalled session to end by itself")
            #expect(second.stderr.contains("ended database session"), "\(second)")
            let held = await holding.value
            #expect(throws: (any Error).self) { try held.get() }
            try Self.expectExactSink(conn, items)
        }
    }

    /// A process paused inside a set-up transaction (the chaos suite caught one in its
    /// migration) kept its lock: set-up connections had no idle-in-transaction timeout, and a
    /// second process waited on the lock until it gave up (exit 75). Now set-up connections are
    /// guarded like the run's, and a lock wait is tried again within the budget.
    @Test func aProcessPausedInsideSetUpDoesNotHoldItsLocks() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 500
            try Self.writeItems(ws, items)
            let file = try ws.write("setup.yaml", """
                pipeline: slowsetup
                defaults: { lease: 2s }
                setup:
                  - create table if not exists sink (id bigint, v text)
                  - select pg_sleep(1.5)
                source:
                  jsonl: \(ws.url.path)/fixtures/items.jsonl
                  key: .id
                stages:
                  - name: sink
                    sql: insert into sink values (:id, :v)
                """)
            let conn = try db.connect()
            let first = try BatonProcess.start(["run", file, "--run", "p", "--progress", "none"], database: db)
            defer { first.signal(SIGCONT) }
            func sleeping() throws -> Bool {
                try conn.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'select pg_sleep%' AND state = 'active'")
                    .rows[0].decode(Int.self, 0) > 0
            }
            var seen = false
            // Up to 30 s to start (a loaded machine); its set-up then sleeps 1.5 s.
            for _ in 0..<1_200 where !seen {
                try await Task.sleep(for: .milliseconds(25))
                seen = try sleeping()
            }
            try #require(seen, "the first process never reached its set-up")
            first.signal(SIGSTOP)  // its sleep ends; its transaction is left idle, holding the set-up lock
            let started = ContinuousClock.now
            let second = try await BatonProcess.run(["run", file, "--run", "p", "--progress", "none"], database: db)
            #expect(second.status == 0, "\(second)")
            #expect(ContinuousClock.now - started < .seconds(25), "the second process waited on the paused one's lock")
            let row = try conn.query("SELECT count(*), count(DISTINCT id) FROM sink").rows[0]
            #expect(try row.decode(Int.self, 0) == items)
            #expect(try row.decode(Int.self, 1) == items)
            first.signal(SIGCONT)
            let late = try await first.wait()
            #expect([0, 75].contains(late.status), "\(late)")
            #expect(try conn.query("SELECT count(*) FROM sink").rows[0].decode(Int.self, 0) == items)
        }
    }

    /// Runs blocking `body` on a thread of its own (not one of the few cooperative threads).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// Terminated sessions (an admin, a pooler, a failover) once ended the run with exit 69.
    @Test func terminatedSessionsAreReconnectedAndTheRunFinishes() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 10_000
            let file = try Self.sinkPipeline(ws, items: items, slow: true)
            let conn = try db.connect()
            let admin = try Connection(ConnectionConfig(url: try TestDatabase.clusterURL()))
            let process = try BatonProcess.start(["run", file, "--run", "t", "--progress", "none", "--workers", "2"], database: db)
            try await Self.waitForRows(conn, atLeast: 200, process: process)
            var terminated = 0
            for _ in 0..<6 where process.process.isRunning {
                terminated += try admin.query("""
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = $1 AND backend_type = 'client backend' AND pid <> $2
                    """, [db.name, conn.backendPID]).rows[0].decode(Int.self, 0)
                try await Task.sleep(for: .milliseconds(300))
            }
            let output = try await process.wait()
            #expect(terminated > 0)
            #expect(output.status == 0, "\(output)")
            try Self.expectExactSink(conn, items)
        }
    }

    /// A Postgres restart mid-run once ended the process with exit 70; now it reconnects and
    /// finishes, with no rerun.
    @Test(arguments: ["fast", "immediate"])
    func aPostgresRestartMidRunIsRiddenOut(mode: String) async throws {
        let cluster = try PrivateCluster()
        defer { cluster.stop() }
        let ws = try Workspace()
        defer { ws.remove() }
        let items = 10_000
        let file = try Self.sinkPipeline(ws, items: items, slow: true)
        let conn = try Connection(ConnectionConfig(url: cluster.url))
        try conn.execute("CREATE TABLE IF NOT EXISTS sink (id bigint, v text)")
        let process = try BatonProcess.start(["run", file, "--run", "r", "--progress", "none", "--database-url", cluster.url], database: nil)
        try await Self.waitForRows(conn, atLeast: 500, process: process)
        try cluster.restart(mode: mode)
        let output = try await process.wait()
        #expect(output.status == 0, "\(output)")
        #expect(output.stderr.contains("reconnecting"), "\(output)")
        let after = try Connection(ConnectionConfig(url: cluster.url))
        try Self.expectExactSink(after, items)
    }

    /// Seeding in bulk does not wait for its chunks' commits to reach the disk (nothing of
    /// the run is visible until its last chunk, whose commit is flushed with every earlier
    /// one). A crash of the server mid-seeding may lose the last chunks' commits, and with
    /// them their rows and the seed position alike: the process reconnects, seeds again from
    /// the position that stayed, and every record is an item exactly once.
    @Test func aServerCrashWhileSeedingInBulkLosesNoRecordAndDoublesNone() async throws {
        let cluster = try PrivateCluster()
        defer { cluster.stop() }
        let ws = try Workspace()
        defer { ws.remove() }
        let total = 400_000
        let file = try SeedOnlyEndToEndTests.paddedPipeline(ws, name: "crash", total: total, stages: """
              - name: shape
                jq: .
            """)
        let conn = try Connection(ConnectionConfig(url: cluster.url))
        let process = try BatonProcess.start(["run", file, "--run", "c", "--seed-only", "--progress", "none", "--database-url", cluster.url],
                                             database: nil)
        let deadline = ContinuousClock.now + .seconds(90)
        var seeded = 0
        while seeded < 100_000, process.process.isRunning, ContinuousClock.now < deadline {
            seeded = (try? Ops.count(conn, "SELECT coalesce(max(seeded), 0) FROM baton.runs WHERE name = 'c'")) ?? 0
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(seeded >= 100_000 && seeded < total, "the crash came mid-seeding (\(seeded) seeded)")
        try cluster.restart(mode: "immediate")
        let output = try await process.wait(timeout: .seconds(120))
        #expect(output.status == 0, "\(output)")
        #expect(output.stderr.contains("seeding: database reachable again"), "the seeding met the crash: \(output)")
        let after = try Connection(ConnectionConfig(url: cluster.url))
        #expect(try Ops.rows(after, "SELECT state || ' ' || seeded || ' ' || seed_done FROM baton.runs WHERE name = 'c'") == ["running \(total) true"])
        let items = try after.query("""
            SELECT count(*), count(DISTINCT key), coalesce(sum(key::bigint), 0)::bigint FROM baton.item_rows i
            JOIN baton.runs r ON r.id = i.run_id WHERE r.name = 'c'
            """).rows[0]
        #expect(try items.decode(Int.self, 0) == total)
        #expect(try items.decode(Int.self, 1) == total)
        #expect(try items.decode(Int64.self, 2) == Int64(total) * Int64(total + 1) / 2)
        #expect(try Ops.count(after, "SELECT coalesce(sum(size), 0) FROM baton.batches b JOIN baton.runs r ON r.id = b.run_id WHERE r.name = 'c'") == total)
    }

    /// A server can lose commits it acknowledged (a crash with `synchronous_commit = off`):
    /// a chaos round once saw the workers find the run complete, and then two batches were
    /// running again under this process's old leases; the process ended with exit 75 and the
    /// run unfinished. The fault is played here by a trigger (it fires when the process
    /// removes its worker row, just after the workers found the run complete): the last
    /// finished batch is running again and its effects are gone. The process works on and
    /// the run finishes, each effect exactly once.
    @Test func aCommitTheServerLostAfterTheRunLookedCompleteIsWorkedAgain() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 2_000
            try Self.writeItems(ws, items)
            let file = try ws.write("lost.yaml", """
                pipeline: lost
                defaults: { lease: 1s }
                setup: |
                  create table if not exists sink (id bigint, v text);
                  create table if not exists lost_once (batch bigint);
                  create or replace function lose_last_commit() returns trigger language plpgsql as $fn$
                  declare b bigint;
                  begin
                    if exists (select 1 from lost_once) then return old; end if;
                    select id into b from baton.batches where run_id = old.run_id and state = 'done'
                    order by finished_at desc, id desc limit 1;
                    if b is null then return old; end if;
                    insert into lost_once values (b);
                    delete from sink where id in (select (payload::jsonb->>'id')::bigint from baton.item_rows where batch_id = b);
                    update baton.batches set state = 'running', done = 0, finished_at = null,
                      lease_token = gen_random_uuid(), leased_until = now() + interval '1 second'
                    where id = b;
                    return old;
                  end $fn$;
                  drop trigger if exists lose_last_commit on baton.workers;
                  create trigger lose_last_commit after delete on baton.workers for each row execute function lose_last_commit();
                source:
                  jsonl: \(ws.url.path)/fixtures/items.jsonl
                  key: .id
                stages:
                  - name: sink
                    sql: insert into sink select :id, :v from pg_sleep(0.0005)
                """)
            let output = try await BatonProcess.run(["run", file, "--run", "l", "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            #expect(output.stderr.contains("the run looked complete but is not"), "\(output)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM lost_once") == 1, "the fault fired once")
            #expect(try Ops.runState(conn, "l") == "succeeded")
            try Self.expectExactSink(conn, items)
        }
    }

    /// A database whose `statement_timeout` is tiny (a DBA's guard) once cancelled the seeding
    /// COPY again and again: exit 70, "canceling statement due to statement timeout". Baton's
    /// sessions keep their own deadlines and turn the server's off.
    @Test func aServerStatementTimeoutDoesNotCancelBatonsOwnStatements() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 30_000
            let file = try Self.sinkPipeline(ws, items: items)
            let conn = try db.connect()
            try conn.execute("ALTER DATABASE \"\(db.name)\" SET statement_timeout = '25ms'")
            let output = try await BatonProcess.run(["run", file, "--run", "st", "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let check = try db.connect()
            try check.execute("SET statement_timeout = 0")
            try Self.expectExactSink(check, items)
        }
    }

    /// A database gone for longer than `--reconnect-budget` ends the process with exit 75 soon
    /// after the budget, saying the run is safe to resume; resumed once the server is back, the
    /// run finishes with every item's effect exactly once.
    @Test func aDatabaseGoneLongerThanTheBudgetEndsTheProcessWith75AndTheResumeFinishes() async throws {
        let cluster = try PrivateCluster()
        defer { cluster.stop() }
        let ws = try Workspace()
        defer { ws.remove() }
        let items = 10_000
        let file = try Self.sinkPipeline(ws, items: items, slow: true)
        let conn = try Connection(ConnectionConfig(url: cluster.url))
        try conn.execute("CREATE TABLE IF NOT EXISTS sink (id bigint, v text)")
        let process = try BatonProcess.start(["run", file, "--run", "gone", "--progress", "none", "--reconnect-budget", "3s",
                                              "--database-url", cluster.url], database: nil)
        try await Self.waitForRows(conn, atLeast: 500, process: process)
        try cluster.pause()
        let stopped = ContinuousClock.now
        let output = try await process.wait()
        #expect(ContinuousClock.now - stopped < .seconds(30), "\(output)")
        #expect(output.status == 75, "\(output)")
        #expect(output.stderr.contains("unreachable for over 3s"), "\(output)")
        #expect(output.stderr.contains("safe to resume"), "\(output)")
        try cluster.start()
        let resumed = try await BatonProcess.run(["resume", "gone", "--progress", "none", "--database-url", cluster.url], database: nil)
        #expect(resumed.status == 0, "\(resumed)")
        try Self.expectExactSink(try Connection(ConnectionConfig(url: cluster.url)), items)
    }

    /// A jq program that never ends once held its worker forever, and two SIGTERMs did not
    /// stop the process. Now the program has a deadline, and the second signal ends the
    /// process at once with its items given back.
    @Test func aRunawayJqProgramFailsItsItemAtItsDeadline() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("loop.yaml", """
                pipeline: loop
                source: { items: [{id: 1}, {id: 2}, {id: 3}], key: .id }
                stages:
                  - name: spin
                    jq: 'if .id == 2 then (def f: f; f) elif .id == 3 then [range(0; infinite)] | length else . end'
                    timeout: 2s
                """)
            let started = ContinuousClock.now
            let output = try await BatonProcess.run(["run", file, "--run", "l", "--progress", "none"], database: db)
            #expect(ContinuousClock.now - started < .seconds(25), "the second process waited for the stalled session to end by itself")
            #expect(output.status == 1, "\(output)")
            let conn = try db.connect()
            let failed = try Ops.rows(conn, "SELECT key, error_class, last_error FROM baton.items WHERE state = 'failed' ORDER BY key")
            #expect(failed.count == 2, "\(failed)")
            #expect(failed.allSatisfy { $0.contains("jq timeout") && $0.contains("stage spin item") && $0.contains("longer than 2s") }, "\(failed)")
        }
    }

    @Test func aSecondSignalEndsAProcessStuckInARunawayTransformWithinSeconds() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("loop.yaml", """
                pipeline: stuck
                source: { items: [{id: 1}, {id: 2}], key: .id }
                stages:
                  - name: spin
                    jq: 'def f: f; f'
                    timeout: 1h
                """)
            let process = try BatonProcess.start(["run", file, "--run", "s", "--progress", "none"], database: db)
            let conn = try db.connect()
            let deadline = ContinuousClock.now + .seconds(60)
            while ((try? Ops.count(conn, "SELECT count(*) FROM baton.batches WHERE state = 'running'")) ?? 0) == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            process.signal(SIGTERM)
            try await Task.sleep(for: .milliseconds(500))
            let second = ContinuousClock.now
            process.signal(SIGTERM)
            let output = try await process.wait(timeout: .seconds(30))
            #expect(ContinuousClock.now - second < .seconds(8), "\(output)")
            #expect(output.status == 75, "\(output)")
            #expect(output.stdout.contains("stopped by SIGTERM"), "\(output)")
            // Nothing lost: the items are pending again, their leases given back.
            #expect(try Ops.itemStates(conn, run: "s") == ["spin": ["pending": 2]])
        }
    }

    /// One item fanning out to hundreds of thousands of children once grew the process to
    /// hundreds of MB; now its outputs are spilled and written in chunks.
    @Test func aLargeFanOutKeepsMemoryFlat() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let children = 400_000
            let file = try ws.write("fan.yaml", """
                pipeline: fan
                source: { items: [{id: 1}], key: .id }
                stages:
                  - name: explode
                    jq: 'range(\(children)) | {i: ., pad: "0123456789012345678901234567890123456789"}'
                    timeout: 5m
                  - name: keep
                    jq: 'select(.i % 100000 == 0) | {i}'
                """)
            let process = try BatonProcess.start(["run", file, "--run", "f", "--progress", "none"], database: db)
            var peak = 0
            while process.process.isRunning {
                peak = max(peak, Self.residentKiB(of: process.pid))
                try await Task.sleep(for: .milliseconds(50))
            }
            let output = try await process.wait(timeout: .seconds(600))
            #expect(output.status == 0, "\(output)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE stage = 'keep'") == children)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == children / 100_000)
            // Holding 400 000 children in memory took well over 150 MiB; spilled, it stays small.
            #expect(peak < 120 * 1024, "peak RSS \(peak) KiB")
        }
    }

    static func residentKiB(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

/// A Postgres cluster of the test's own (for faults that would disturb other tests: a
/// restart), on a unix socket in a temporary folder.
struct PrivateCluster {
    let directory: String
    let url: String
    private static var script: String {
        LivenessTests.root.appendingPathComponent("scripts/test-cluster.sh").path
    }

    init() throws {
        directory = "/tmp/baton-private-\(UUID().uuidString.prefix(8))"
        let output = try PrivateCluster.shell([PrivateCluster.script, "start", directory])
        guard let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgresql:") else {
            throw TestSetupError("could not start a private cluster: \(output)")
        }
        self.url = url
    }

    func restart(mode: String) throws { _ = try PrivateCluster.shell([PrivateCluster.script, "restart", directory, mode]) }

    /// Stops the server, keeping its data (``start()`` brings it back on the same socket).
    func pause() throws { _ = try PrivateCluster.shell([PrivateCluster.script, "stop", directory]) }

    func start() throws { _ = try PrivateCluster.shell([PrivateCluster.script, "start", directory]) }

    func stop() {
        _ = try? PrivateCluster.shell([PrivateCluster.script, "stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Through posix_spawn (`ProcessRunner`): `pg_ctl start` leaves a server holding the
    /// child's descriptors, which Foundation's `Process` would wait for.
    private static func shell(_ arguments: [String]) throws -> String {
        let result = try ProcessRunner.run("/bin/bash", arguments)
        guard result.status == 0 else { throw TestSetupError("\(arguments): \(result.output)") }
        return result.output
    }
}
