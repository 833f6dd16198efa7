import Baton
import BatonJQ
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The lease protocol, driven step by step through the store (no sleeps, no races).
@Suite("Leases and fencing")
struct FencingTests {
    /// A run with `count` items in stage "a" (next stage "b"), ready to claim.
    private func seededRun(_ conn: Connection, count: Int) throws -> RunRecord {
        try Store.migrate(conn)
        let pipeline = Pipeline(name: "fence", source: SourceSpec(.items([])), stages: [
            Stage(name: "a", transform: SwiftTransform { _ in StageOutput() }),
            Stage(name: "b", transform: SwiftTransform { _ in StageOutput() }),
        ])
        let run = try Store.createOrFindRun(conn, pipeline: pipeline, name: "r").run
        let chunk = SeedChunk(
            records: (1...count).map { SeedChunk.Record(key: "k\($0)", payload: #"{"n": \#($0)}"#, line: Int64($0)) },
            startPosition: 0, startLine: 0, endPosition: Int64(count), endLine: Int64(count), isLast: true
        )
        // One item per batch: each item's lease is its own.
        let target = SeedTarget(runID: run.id, pipeline: "fence", firstStage: "a", maxAttempts: 3, batchSize: 1, dedupeWindow: nil)
        _ = try Store.seedChunk(conn, target: target, chunk: chunk, ids: BatchIDPool())
        return run
    }

    private func target(_ run: RunRecord, worker: String) -> CommitTarget {
        CommitTarget(runID: run.id, stage: "a", stageHash: "h", nextStage: "b", nextMaxAttempts: 3, writesResults: false,
                     worker: worker, retry: RetryPolicy())
    }

    private func commit(_ conn: Connection, _ run: RunRecord, worker: String, _ claim: Claim,
                        completions: [ItemCompletion], failures: [ItemFailure] = []) throws -> CommitReport {
        try Store.commit(conn, target: target(run, worker: worker), batches: claim.batches, token: claim.token,
                         completions: completions, failures: failures, ids: BatchIDPool())
    }

    private func expireLeases(_ conn: Connection) throws {
        try conn.execute("UPDATE baton.batches SET leased_until = now() - interval '1 second' WHERE state = 'running'")
    }

    @Test func aLateWorkerWhoseItemWasReclaimedAndFinishedCommitsNothing() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let run = try seededRun(conn, count: 1)
            try conn.execute("CREATE TABLE effects (who text)")

            // Worker A claims the item, then stalls past its lease.
            let a = try Store.claim(conn, runID: run.id, stage: "a", limit: 10, lease: .seconds(30), worker: "A")
            #expect(a.items.count == 1)
            try expireLeases(conn)
            #expect(try Store.rescueExpired(conn, runID: run.id) == 1)

            // Worker B claims it again and finishes it.
            let b = try Store.claim(conn, runID: run.id, stage: "a", limit: 10, lease: .seconds(30), worker: "B")
            #expect(b.items.count == 1)
            #expect(b.items[0].attempt == 2)
            let bReport = try commit(conn, run, worker: "B", b, completions: [
                ItemCompletion(item: b.items[0], children: [ChildItem(key: "from-B", payload: #"{"by": "B"}"#)],
                               effects: [SQLEffect(sql: "INSERT INTO effects VALUES ($1)", parameters: ["B"])]),
            ])
            #expect(bReport.done == 1)

            // A wakes up and commits its own outputs and effect: all refused.
            let aReport = try commit(conn, run, worker: "A", a, completions: [
                ItemCompletion(item: a.items[0], children: [ChildItem(key: "from-A", payload: #"{"by": "A"}"#)],
                               effects: [SQLEffect(sql: "INSERT INTO effects VALUES ($1)", parameters: ["A"])]),
            ])
            #expect(aReport.leaseLost == 1)
            #expect(aReport.done == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM effects WHERE who = 'A'") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM effects") == 1)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE stage = 'b'") == 1)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE key = 'from-A'") == 0)
            #expect(try EngineFixture.count(conn, "SELECT sum(amount)::int FROM baton.counters WHERE counter = 'lease_lost'") == 1)
        }
    }

    @Test func aLateFailureReportDoesNotOverwriteAnotherWorkersResult() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let run = try seededRun(conn, count: 1)
            let a = try Store.claim(conn, runID: run.id, stage: "a", limit: 1, lease: .seconds(30), worker: "A")
            try expireLeases(conn)
            try Store.rescueExpired(conn, runID: run.id)
            let b = try Store.claim(conn, runID: run.id, stage: "a", limit: 1, lease: .seconds(30), worker: "B")
            _ = try commit(conn, run, worker: "B", b, completions: [ItemCompletion(item: b.items[0], children: [])])
            let late = try commit(conn, run, worker: "A", a, completions: [], failures: [
                ItemFailure(item: a.items[0], isPermanent: true, delay: .zero, errorClass: "x", message: "late failure"),
            ])
            #expect(late.leaseLost == 1)
            #expect(late.failed == 0)
            #expect(try conn.query("SELECT state FROM baton.items WHERE key = 'k1'").rows[0].decode(String.self, 0) == "skipped")
        }
    }

    @Test func aHeldLeaseIsNotRescuedAndARenewedLeaseOutlivesItsFirstDeadline() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let run = try seededRun(conn, count: 2)
            let claimed = try Store.claim(conn, runID: run.id, stage: "a", limit: 2, lease: .milliseconds(500), worker: "A")
            #expect(try Store.rescueExpired(conn, runID: run.id) == 0)
            #expect(try Store.renewLeases(conn, tokens: [claimed.token], lease: .seconds(60)) == 2)
            let remaining = try conn.query("SELECT min(extract(epoch FROM leased_until - now()))::float8 FROM baton.items").rows[0].decode(Double.self, 0)
            #expect(remaining > 50)
        }
    }

    @Test func rescueReturnsExpiredItemsToPendingOrFailsThemWhenOutOfAttempts() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let run = try seededRun(conn, count: 2)
            try conn.execute("UPDATE baton.batches SET max_attempts = 1 WHERE id = (SELECT batch_id FROM baton.item_rows WHERE key = 'k2')")
            _ = try Store.claim(conn, runID: run.id, stage: "a", limit: 2, lease: .seconds(30), worker: "dead-worker")
            try expireLeases(conn)
            // Counted per stage (the `rescued` metric's stage label).
            #expect(try Store.rescueExpiredByStage(conn, runID: run.id) == ["a": 2])
            let states = try conn.query("SELECT key, state, last_error FROM baton.items ORDER BY key").rows.map {
                try [$0.decode(String.self, 0), $0.decode(String.self, 1), $0.decode(String.self, 2)]
            }
            #expect(states[0][0] == "k1" && states[0][1] == "pending")
            #expect(states[1][0] == "k2" && states[1][1] == "failed")
            #expect(states[0][2].contains("dead-worker"))
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts WHERE outcome = 'lease_expired'") == 1)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts WHERE outcome = 'failed'") == 1)
        }
    }

    @Test func concurrentClaimsNeverTakeTheSameItem() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let run = try seededRun(conn, count: 400)
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for w in 0..<4 {
                    let config = db.config
                    group.addTask {
                        let session = PostgresSession(config: config)
                        var mine: [Int64] = []
                        while true {
                            let batch = try await session.withConnection {
                                try Store.claim($0, runID: run.id, stage: "a", limit: 7, lease: .seconds(30), worker: "w\(w)")
                            }
                            if batch.items.isEmpty { return mine }
                            mine += batch.items.map(\.id)
                        }
                    }
                }
                var all: [Int64] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(claims.count == 400)
            #expect(Set(claims).count == 400)
        }
    }

    @Test func releasedLeasesGiveItemsBackWithoutUsingAnAttempt() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let run = try seededRun(conn, count: 3)
            let claimed = try Store.claim(conn, runID: run.id, stage: "a", limit: 3, lease: .seconds(30), worker: "A")
            #expect(try Store.releaseLeases(conn, tokens: [claimed.token]) == 3)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending' AND attempt = 0") == 3)
        }
    }

    /// A session stopped in the middle of a COPY inside a transaction holds its locks with no
    /// server timeout to end it: another process sees it waiting, and after the patience with
    /// nothing changed terminates it (the COPY fails; nothing it sent is kept).
    @Test func aSessionStalledMidCopyIsSeenAndTerminated() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE stalled (n int)")
            let stalled = Task.detached {
                let holder = try db.connect()
                return Result {
                    try holder.transaction { holder in
                        try holder.copyIn("COPY stalled (n) FROM STDIN") { writer in
                            try writer.appendRow(["1"])
                            Thread.sleep(forTimeInterval: 10)  // "paused" with the COPY open
                            try writer.appendRow(["2"])
                        }
                    }
                }
            }
            var waits: [StalledSession] = []
            // Up to 8 s for the COPY to start (a loaded machine), well inside its 10 s pause.
            for _ in 0..<160 where waits.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                waits = try Store.clientWaits(conn)
            }
            try #require(waits.count == 1)
            var tracker = StallTracker(patience: .seconds(1))
            let start = ContinuousClock.now
            #expect(tracker.observe(waits, at: start).isEmpty)
            #expect(tracker.observe(try Store.clientWaits(conn), at: start + .milliseconds(500)).isEmpty)
            let due = tracker.observe(try Store.clientWaits(conn), at: start + .seconds(1))
            #expect(due == waits)
            #expect(try Store.terminateStalled(conn, waits[0]))
            let outcome = try await stalled.value
            #expect(throws: (any Error).self) { try outcome.get() }
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM stalled") == 0)
            #expect(try Store.clientWaits(conn).isEmpty)
        }
    }

    /// A sighting whose statement changed in between (the session moved on) starts over.
    @Test func aSessionThatMovesOnIsNotStalled() {
        var tracker = StallTracker(patience: .seconds(2))
        let start = ContinuousClock.now
        let first = StalledSession(pid: 7, signature: "b|q1|-1")
        let moved = StalledSession(pid: 7, signature: "b|q2|-1")
        #expect(tracker.observe([first], at: start).isEmpty)
        #expect(tracker.observe([moved], at: start + .seconds(2)).isEmpty)
        #expect(tracker.observe([moved], at: start + .seconds(3)).isEmpty)
        #expect(tracker.observe([moved], at: start + .seconds(4)) == [moved])
        #expect(tracker.observe([], at: start + .seconds(5)).isEmpty)
        #expect(tracker.observe([moved], at: start + .seconds(6)).isEmpty)
    }
}
