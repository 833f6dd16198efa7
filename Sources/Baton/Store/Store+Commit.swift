package import BatonPostgres
import BatonJQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A transformed item, ready for its fenced commit.
package struct ItemCompletion: Sendable {
    package var item: ClaimedItem
    /// Items for the next stage (or `baton.results`), keys already derived.
    package var children: [ChildItem]
    /// Statements to run in the commit transaction.
    package var effects: [SQLEffect]
    /// Children come from the effects' returned rows (keys derived by `keys`).
    package var outputsFromEffects: Bool

    package init(item: ClaimedItem, children: [ChildItem], effects: [SQLEffect] = [], outputsFromEffects: Bool = false) {
        self.item = item
        self.children = children
        self.effects = effects
        self.outputsFromEffects = outputsFromEffects
    }

    var finalState: ItemState {
        children.isEmpty && effects.isEmpty && !outputsFromEffects ? .skipped : .done
    }
}

package struct ChildItem: Sendable, Hashable {
    package var key: String
    /// JSON text.
    package var payload: String
    package init(key: String, payload: String) {
        self.key = key
        self.payload = payload
    }
}

/// A failed attempt, to be recorded (fenced) as a retry or a final failure.
package struct ItemFailure: Sendable {
    package var item: ClaimedItem
    package var isPermanent: Bool
    /// Backoff before the next attempt (ignored when the item fails for good).
    package var delay: Duration
    package var errorClass: String
    package var message: String

    package init(item: ClaimedItem, isPermanent: Bool, delay: Duration, errorClass: String, message: String) {
        self.item = item
        self.isPermanent = isPermanent
        self.delay = delay
        self.errorClass = ItemFailure.storable(errorClass, limit: 200)
        self.message = ItemFailure.storable(message, limit: 4000)
    }

    /// Text Postgres can store and people can read: no NUL characters (a response body or a
    /// program's stderr may hold some), and not endless.
    static func storable(_ text: String, limit: Int) -> String {
        var clean = text.contains("\0") ? text.replacingOccurrences(of: "\0", with: "\u{FFFD}") : text
        if clean.count > limit { clean = String(clean.prefix(limit)) + "…" }
        return clean
    }
}

/// Where a stage's commit writes.
package struct CommitTarget: Sendable {
    package var runID: Int64
    package var stage: String
    package var stageHash: String
    /// The next stage's name; nil for the last stage.
    package var nextStage: String?
    package var nextMaxAttempts: Int
    /// Write outputs of the last stage to `baton.results`.
    package var writesResults: Bool
    package var worker: String
    /// Derives keys of children made from effects' returned rows.
    package var keys: KeyDeriver
    /// Retry policy, for effects that fail transiently during the commit.
    package var retry: RetryPolicy

    package init(runID: Int64, stage: String, stageHash: String, nextStage: String?, nextMaxAttempts: Int,
                writesResults: Bool, worker: String, keys: KeyDeriver, retry: RetryPolicy) {
        self.runID = runID
        self.stage = stage
        self.stageHash = stageHash
        self.nextStage = nextStage
        self.nextMaxAttempts = nextMaxAttempts
        self.writesResults = writesResults
        self.worker = worker
        self.keys = keys
        self.retry = retry
    }
}

/// What one commit did.
package struct CommitReport: Sendable, Hashable {
    package var done = 0
    package var skipped = 0
    /// Items that failed for good in this commit.
    package var failed = 0
    /// Items sent back to `pending` for another attempt.
    package var retried = 0
    /// Completions or failures refused because the lease was lost (another worker has the item).
    package var leaseLost = 0
    /// Children not enqueued because an item with the same key already existed.
    package var deduplicated = 0
    /// Children enqueued.
    package var enqueued = 0

    package init() {}

    static func + (a: CommitReport, b: CommitReport) -> CommitReport {
        var sum = a
        sum.done += b.done
        sum.skipped += b.skipped
        sum.failed += b.failed
        sum.retried += b.retried
        sum.leaseLost += b.leaseLost
        sum.deduplicated += b.deduplicated
        sum.enqueued += b.enqueued
        return sum
    }
}

extension Store {
    /// Commits a batch of transformed and failed items in ONE transaction (DESIGN §3):
    /// fenced done-marks, the stage's SQL effects, the next stage's items (idempotent),
    /// results, failures. An item whose lease was lost commits nothing.
    ///
    /// Fast path: set-based statements and one pipelined round trip for all effects. If any
    /// statement fails, the transaction is rolled back and the batch is redone item by item,
    /// each in a savepoint, so one bad item fails alone and the others still commit.
    package static func commit(
        _ conn: Connection, target: CommitTarget, completions: [ItemCompletion], failures: [ItemFailure]
    ) throws -> CommitReport {
        if completions.isEmpty && failures.isEmpty { return CommitReport() }
        // Deadlocks and serialization failures roll the whole transaction back: try again
        // (after a short random pause) before going item by item.
        for attempt in 1...3 {
            do {
                return try conn.transaction { conn in
                    // Deferred constraints would otherwise fail at COMMIT, outside any savepoint.
                    try conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    var report = try completeBatch(conn, target: target, completions: completions)
                    report = report + (try recordFailures(conn, target: target, failures: failures))
                    try recordCounters(conn, target: target, report: report)
                    return report
                }
            } catch let error as PostgresError where error.isConnectionError {
                throw error
            } catch let error where isRetryable(error) && attempt < 3 {
                pauseBeforeRetry(attempt)
                continue
            } catch {
                // One item's effect (or data, or key expression) broke the batch: redo it
                // item by item.
                break
            }
        }
        return try conn.transaction { conn in
            try conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            var report = CommitReport()
            var moreFailures: [ItemFailure] = []
            for completion in completions {
                var attempt = 0
                while true {
                    attempt += 1
                    do {
                        let one = try conn.savepoint("baton_item") { conn in
                            try completeBatch(conn, target: target, completions: [completion])
                        }
                        report = report + one
                    } catch let error as PostgresError where error.isConnectionError {
                        throw error
                    } catch let error where isRetryable(error) && attempt < 3 {
                        pauseBeforeRetry(attempt)
                        continue
                    } catch {
                        let classified = classify(error)
                        moreFailures.append(ItemFailure(
                            item: completion.item, isPermanent: classified.isPermanent,
                            delay: target.retry.delay(afterAttempt: completion.item.attempt, random: Double.random(in: 0..<1)),
                            errorClass: classified.errorClass, message: classified.message
                        ))
                    }
                    break
                }
            }
            report = report + (try recordFailures(conn, target: target, failures: failures + moreFailures))
            try recordCounters(conn, target: target, report: report)
            return report
        }
    }

    /// Deadlock victims, serialization failures, lock timeouts: worth running again as is.
    static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case let failure as PipelineFailure: return isRetryable(failure.error)
        case let error as PostgresError: return ["40P01", "40001", "55P03"].contains(error.sqlState ?? "")
        default: return false
        }
    }

    private static func pauseBeforeRetry(_ attempt: Int) {
        usleep(UInt32.random(in: 5_000...(20_000 * UInt32(attempt))))
    }

    /// A commit-time error as an item failure: constraint violations, bad data and bad SQL
    /// are permanent; serialization failures, deadlocks, lock timeouts are transient.
    package static func classify(_ error: any Error) -> StageError {
        switch error {
        case let error as StageError:
            return error
        case let error as JQError:
            return .permanent(error.description, class: "jq")
        case let failure as PipelineFailure:
            return classify(failure.error)
        case let error as PostgresError:
            let state = error.sqlState ?? ""
            let permanentClasses = ["22", "23", "42", "2B", "21", "0A", "P0", "44", "2F", "39", "3F"]
            let permanent = !error.isTransient && permanentClasses.contains(String(state.prefix(2)))
            var message = "SQL effect failed: \(error.message)"
            if let detail = error.detail, !detail.isEmpty { message += " (\(detail))" }
            return StageError(isPermanent: permanent, errorClass: "sqlstate \(state.isEmpty ? "?" : state)", message: message)
        default:
            return .transient(String(describing: error), class: "error")
        }
    }

    /// Fenced done-marks, effects, children and results for a set of items.
    private static func completeBatch(_ conn: Connection, target: CommitTarget, completions: [ItemCompletion]) throws -> CommitReport {
        var report = CommitReport()
        guard !completions.isEmpty else { return report }

        // 1. Fenced completion: only rows still running under our lease.
        let marked = try conn.query("""
            UPDATE baton.items i
            SET state = u.state, finished_at = now(), lease_token = NULL, leased_until = NULL,
                stage_hash = $4, last_error = NULL, error_class = NULL
            FROM unnest($1::bigint[], $2::uuid[], $3::text[]) AS u(id, token, state)
            WHERE i.id = u.id AND i.state = 'running' AND i.lease_token = u.token
            RETURNING i.id
            """, [
                PostgresArray(completions.map { String($0.item.id) }),
                PostgresArray(completions.map { $0.item.leaseToken.uuidString }),
                PostgresArray(completions.map { $0.finalState.rawValue }),
                target.stageHash,
            ])
        var valid = Set<Int64>()
        for row in marked.rows { valid.insert(try row.decode(Int64.self, 0)) }
        report.leaseLost = completions.count - valid.count
        // Effects run in a stable order (by statement and parameters): batches that touch the
        // same rows (e.g. counters keyed by the parameters) then lock them in the same order
        // and do not deadlock each other.
        let live = completions.filter { valid.contains($0.item.id) }.sorted { a, b in
            effectOrderKey(a).lexicographicallyPrecedes(effectOrderKey(b))
        }
        for completion in live {
            if completion.finalState == .done { report.done += 1 } else { report.skipped += 1 }
        }

        // 2. Effects, all in one pipelined round trip.
        var children: [(parent: ClaimedItem, child: ChildItem)] = []
        let statements = live.flatMap { completion in
            completion.effects.map { Connection.PipelineStatement($0.sql, $0.parameters.map { PostgresValue(bytes: $0.map { Array($0.utf8) }) }) }
        }
        let results = statements.count == 1
            ? [try conn.query(statements[0].sql, statements[0].parameters)]
            : try conn.pipeline(statements)
        var resultIndex = 0
        for completion in live {
            var returned: [String] = []
            for _ in completion.effects {
                if completion.outputsFromEffects {
                    for row in results[resultIndex].rows { returned.append(try row.decode(String.self, 0)) }
                }
                resultIndex += 1
            }
            if completion.outputsFromEffects {
                for (position, payload) in returned.enumerated() {
                    let key = try target.keys.key(parent: completion.item.key, position: position, payload: payload)
                    children.append((completion.item, ChildItem(key: key, payload: payload)))
                }
            }
            for child in completion.children { children.append((completion.item, child)) }
        }

        // 3. The next stage's items (idempotent), or the results of the last stage.
        if !children.isEmpty {
            if let next = target.nextStage {
                let inserted = try conn.query("""
                    INSERT INTO baton.items (run_id, stage, key, payload, parent_id, max_attempts)
                    SELECT $1, $2, c.key, c.payload::jsonb, c.parent, $3
                    FROM unnest($4::text[], $5::text[], $6::bigint[]) AS c(key, payload, parent)
                    ON CONFLICT (run_id, stage, key) DO NOTHING
                    """, [
                        target.runID, next, target.nextMaxAttempts,
                        PostgresArray(children.map(\.child.key)),
                        PostgresArray(children.map(\.child.payload)),
                        PostgresArray(children.map { String($0.parent.id) }),
                    ]).affectedRows
                report.enqueued = inserted
                report.deduplicated = children.count - inserted
            } else if target.writesResults {
                // A key may repeat within one batch only by a transform bug; keep the last.
                var latest: [String: (ClaimedItem, ChildItem)] = [:]
                for entry in children { latest[entry.child.key] = entry }
                let unique = Array(latest.values)
                try conn.query("""
                    INSERT INTO baton.results (run_id, key, stage, payload, item_id)
                    SELECT $1, r.key, $2, r.payload::jsonb, r.item
                    FROM unnest($3::text[], $4::text[], $5::bigint[]) AS r(key, payload, item)
                    ON CONFLICT (run_id, key) DO UPDATE
                    SET payload = excluded.payload, stage = excluded.stage, item_id = excluded.item_id, created_at = now()
                    """, [
                        target.runID, target.stage,
                        PostgresArray(unique.map(\.1.key)),
                        PostgresArray(unique.map(\.1.payload)),
                        PostgresArray(unique.map { String($0.0.id) }),
                    ])
            }
        }
        return report
    }

    private static func effectOrderKey(_ completion: ItemCompletion) -> [String] {
        completion.effects.flatMap { [$0.sql] + $0.parameters.map { $0 ?? "" } }
    }

    /// Fenced failure records: back to `pending` after a backoff, or `failed` for good;
    /// every attempt's error is kept in `baton.attempts`.
    static func recordFailures(_ conn: Connection, target: CommitTarget, failures: [ItemFailure]) throws -> CommitReport {
        var report = CommitReport()
        guard !failures.isEmpty else { return report }
        let result = try conn.query("""
            WITH u AS (
                SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bool[], $4::bigint[], $5::text[], $6::text[])
                    AS u(id, token, permanent, delay_ms, error_class, error)
            ), moved AS (
                UPDATE baton.items i
                SET state = CASE WHEN u.permanent OR i.attempt >= i.max_attempts THEN 'failed' ELSE 'pending' END,
                    finished_at = CASE WHEN u.permanent OR i.attempt >= i.max_attempts THEN now() END,
                    available_at = now() + u.delay_ms * interval '1 millisecond',
                    last_error = u.error, error_class = u.error_class, stage_hash = $8,
                    lease_token = NULL, leased_until = NULL
                FROM u
                WHERE i.id = u.id AND i.state = 'running' AND i.lease_token = u.token
                RETURNING i.id, i.run_id, i.attempt, i.claimed_at, i.state, u.error_class, u.error
            )
            INSERT INTO baton.attempts (item_id, run_id, attempt, worker, started_at, outcome, error_class, error)
            SELECT id, run_id, attempt, $7, claimed_at, CASE WHEN state = 'failed' THEN 'failed' ELSE 'retry' END, error_class, error
            FROM moved
            RETURNING item_id, outcome
            """, [
                PostgresArray(failures.map { String($0.item.id) }),
                PostgresArray(failures.map { $0.item.leaseToken.uuidString }),
                PostgresArray(failures.map { $0.isPermanent ? "t" : "f" }),
                PostgresArray(failures.map { String($0.delay.milliseconds) }),
                PostgresArray(failures.map(\.errorClass)),
                PostgresArray(failures.map(\.message)),
                target.worker,
                target.stageHash,
            ])
        for row in result.rows {
            if try row.decode(String.self, 1) == "failed" { report.failed += 1 } else { report.retried += 1 }
        }
        report.leaseLost = failures.count - result.rowCount
        return report
    }

    /// Adds to the insert-only counters: lease losses of this stage, duplicates at the next.
    static func recordCounters(_ conn: Connection, target: CommitTarget, report: CommitReport) throws {
        var stages: [String] = []
        var names: [String] = []
        var amounts: [String] = []
        if report.leaseLost > 0 {
            stages.append(target.stage); names.append("lease_lost"); amounts.append(String(report.leaseLost))
        }
        if report.deduplicated > 0, let next = target.nextStage {
            stages.append(next); names.append("deduplicated"); amounts.append(String(report.deduplicated))
        }
        guard !stages.isEmpty else { return }
        try addCounters(conn, runID: target.runID, stages: stages, names: names, amounts: amounts)
    }

    static func addCounters(_ conn: Connection, runID: Int64, stages: [String], names: [String], amounts: [String]) throws {
        try conn.query("""
            INSERT INTO baton.counters (run_id, stage, counter, amount)
            SELECT $1, s, c, a FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(s, c, a)
            """, [runID, PostgresArray(stages), PostgresArray(names), PostgresArray(amounts)])
    }
}
