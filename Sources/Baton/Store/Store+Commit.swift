package import BatonPostgres
package import Foundation

extension Store {
    /// Commits claimed batches in ONE transaction (DESIGN §3): the fence (the batches are
    /// still ours), each item's outcome, retries, the attempt history, the next stage's items
    /// (idempotent), the stage's SQL effects and `baton.results` rows. If the lease was lost,
    /// nothing at all is written for the lost batches.
    ///
    /// Fast path: every statement sent in one pipeline, which the server runs as one implicit
    /// transaction: no transaction ever waits on this process. If an effect fails, the batch
    /// is redone with a savepoint per item, so the failing item fails alone and the rest
    /// commits. Conflicts (deadlocks, serialization failures) run the whole commit again.
    ///
    /// `childrenFromRows` turns an item's effect rows into children (`outputs: returning`);
    /// it runs between the two round trips such a commit needs.
    ///
    /// With a `fusion` (the fused stages' share, ``Fusion``), that share is written in the same
    /// transaction; if it fails for any reason but a lost connection (an effect, a lost lease),
    /// the commit is made again without it: every output queued, the ordinary path below.
    package static func commit(
        _ conn: Connection, target: CommitTarget, batches: [Int64], token: UUID,
        completions: [ItemCompletion], failures: [ItemFailure], ids: BatchIDPool, fusion: Fusion? = nil,
        childrenFromRows: (ClaimedItem, [String]) throws -> [ChildItem] = { _, _ in [] }
    ) throws -> CommitReport {
        if let fusion {
            do {
                return try retryingConflicts {
                    try CommitWriter(conn: conn, target: target, batches: batches, token: token, ids: ids)
                        .commitAtOnce(CommitPlan(batches: batches, completions: fusion.head, failures: failures), parts: fusion.parts)
                }
            } catch let error where FailurePolicy.needsReconnect(error) {
                throw error
            } catch {
                conn.rollbackQuietly()
            }
        }
        var held = batches
        var completions = completions
        var failures = failures
        var lost = 0
        while true {
            do {
                var report = try retryingConflicts {
                    let plan = CommitPlan(batches: held, completions: completions, failures: failures)
                    let writer = CommitWriter(conn: conn, target: target, batches: held, token: token, ids: ids)
                    if plan.completions.contains(where: { $0.spill != nil }) {
                        return try writer.commitInChunks(plan)
                    }
                    if plan.completions.contains(where: \.outputsFromEffects) {
                        return try writer.commitItemByItem(plan, childrenFromRows: childrenFromRows)
                    }
                    do {
                        return try writer.commitAtOnce(plan)
                    } catch let error where FailurePolicy.treatment(of: error) == .permanent || FailurePolicy.treatment(of: error) == .transient {
                        // An effect (or a child's data) broke the batch: find the culprits.
                        return try writer.commitItemByItem(plan, childrenFromRows: childrenFromRows)
                    }
                }
                report.leaseLost = lost
                if lost > 0 {
                    try addCounters(conn, runID: target.runID, stages: [target.stage], names: ["lease_lost"], amounts: [String(lost)])
                }
                return report
            } catch let error where isLeaseLost(error) {
                // Some batches were taken over by another worker: commit the others alone.
                conn.rollbackQuietly()
                let stillHeld = Set(try conn.query("""
                    SELECT id FROM baton.batches WHERE id = ANY($1::bigint[]) AND state = 'running' AND lease_token = $2
                    """, [PostgresArray(held.map { String($0) }), token]).rows.map { try $0.decode(Int64.self, 0) })
                lost += completions.filter { !stillHeld.contains($0.item.batchID) }.count
                    + failures.filter { !stillHeld.contains($0.item.batchID) }.count
                held = held.filter(stillHeld.contains)
                completions = completions.filter { stillHeld.contains($0.item.batchID) }
                failures = failures.filter { stillHeld.contains($0.item.batchID) }
                if held.isEmpty {
                    var report = CommitReport()
                    report.leaseLost = lost
                    if lost > 0 {
                        try addCounters(conn, runID: target.runID, stages: [target.stage], names: ["lease_lost"], amounts: [String(lost)])
                    }
                    return report
                }
            }
        }
    }

    static func isLeaseLost(_ error: any Error) -> Bool {
        switch error {
        case let failure as PipelineFailure: return failure.error.sqlState == "BT001"
        case let error as PostgresError: return error.sqlState == "BT001"
        default: return false
        }
    }

    /// Runs `body` again (up to three times in all, after a short random pause) when it lost a
    /// race with another transaction: a deadlock, a serialization failure, a lock timeout.
    static func retryingConflicts<T>(_ body: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch let error where FailurePolicy.treatment(of: error) == .conflict && attempt < 3 {
                Thread.sleep(forTimeInterval: Double.random(in: 0.005...(0.02 * Double(attempt))))
                attempt += 1
            }
        }
    }

    /// Adds to the insert-only counters.
    static func addCounters(_ conn: Connection, runID: Int64, stages: [String], names: [String], amounts: [String]) throws {
        try conn.query("""
            INSERT INTO baton.counters (run_id, stage, counter, amount)
            SELECT $1, s, c, a FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(s, c, a)
            """, [runID, PostgresArray(stages), PostgresArray(names), PostgresArray(amounts)])
    }
}

/// Builds and sends the statements of one commit (``Store/commit``).
private struct CommitWriter {
    let conn: Connection
    let target: CommitTarget
    let batches: [Int64]
    let token: UUID
    let ids: BatchIDPool

    typealias Statement = Connection.PipelineStatement

    /// Everything in one pipeline round trip: the claimed batches' plan and, with fused
    /// stages (``Fusion``), per fused stage a `done` batch with its counts and the stored item
    /// each member came from, its effects, and its outputs queued for the stage after it (or
    /// written to `baton.results`). An implicit transaction unless there are effects or fused
    /// stages: then an explicit one, as SET CONSTRAINTS only works inside one (deferred
    /// constraints would otherwise fail at the implicit COMMIT, blaming no item).
    func commitAtOnce(_ plan: CommitPlan, parts: [Fusion.Part] = []) throws -> CommitReport {
        let partPlans = parts.map { CommitPlan(batches: [], completions: $0.completions, failures: []) }
        var needed = plan.batchesNeeded(childBatchSize: target.childBatchSize)
        for (part, partPlan) in zip(parts, partPlans) {
            needed += 1 + partPlan.batchesNeeded(childBatchSize: part.target.childBatchSize)
        }
        var fresh = try ids.take(needed, conn)[...]
        func take(_ count: Int) -> [Int64] {
            defer { fresh = fresh.dropFirst(count) }
            return Array(fresh.prefix(count))
        }
        let explicit = !parts.isEmpty || plan.completions.contains(where: { !$0.effects.isEmpty })
        var statements: [Statement] = explicit ? [Statement("BEGIN"), Statement("SET CONSTRAINTS ALL IMMEDIATE")] : []
        statements.append(finish(plan))
        statements += bookkeeping(plan, newBatches: take(plan.retries.count))
        // Where each level's enqueued count comes back (nil: nothing queued), with its children's count.
        var enqueuedAt: [(index: Int?, children: Int)] = []
        func enqueue(_ writer: CommitWriter, _ children: [(parent: ClaimedItem, child: ChildItem)]) {
            let batchIDs = take(writer.target.childBatchSize.map { (children.count + $0 - 1) / $0 } ?? 0)
            let (count, statement) = writer.childStatement(children, batchIDs: batchIDs)
            enqueuedAt.append((statement.map { _ in statements.count }, count))
            if let statement { statements.append(statement) }
        }
        enqueue(self, plan.children)
        statements += try effectStatements(plan.completions)
        // Without ON CONFLICT: no path writes a result key twice (a replay deletes the results
        // it redoes). One there all the same fails this commit, which is then made item by
        // item (``Store/commit``), upserting.
        if let results = resultStatement(plan.children, plainly: true) { statements.append(results) }
        for (part, partPlan) in zip(parts, partPlans) {
            let writer = CommitWriter(conn: conn, target: part.target, batches: [], token: token, ids: ids)
            let virtual = take(1)[0]
            let members = partPlan.completions
            statements.append(Statement("""
                INSERT INTO baton.batches (id, run_id, stage, state, attempt, max_attempts, size, done, skipped, stage_hash,
                                           parent_batch, claimed_at, finished_at, fused_heads, fused_skipped)
                SELECT $1, $2, $3, 'done', 1, $4, $5, $6, $7, $8, $9,
                       coalesce((SELECT claimed_at FROM baton.batches WHERE id = $9), now()), now(), $10::bigint[], $11::bigint[]
                """, [
                    virtual, target.runID, part.target.stage, members.first?.item.maxAttempts ?? 1, members.count,
                    partPlan.report.done, partPlan.report.skipped, part.target.stageHash, batches.first ?? virtual,
                    PostgresArray(members.map { String($0.item.id) }),
                    PostgresArray(members.filter { $0.finalState == .skipped }.map { String($0.item.id) }),
                ]))
            enqueue(writer, partPlan.children)
            statements += try writer.effectStatements(members)
            if let results = writer.resultStatement(partPlan.children, plainly: true) { statements.append(results) }
        }
        if explicit { statements.append(Statement("COMMIT")) }
        let results = try sendOrRollBack(statements)
        // Committed: from here nothing may throw (the caller would commit again).
        func enqueued(_ level: Int) -> Int {
            guard let index = enqueuedAt[level].index else { return 0 }
            return (try? results[index].rows[0].decode(Int.self, 0)) ?? enqueuedAt[level].children
        }
        var report = plan.report
        count(&report, children: enqueuedAt[0].children, enqueued: enqueued(0))
        for (offset, (part, partPlan)) in zip(parts, partPlans).enumerated() {
            var partReport = partPlan.report
            partReport.enqueued = enqueued(offset + 1)
            partReport.deduplicated = part.target.nextStage == nil ? 0 : enqueuedAt[offset + 1].children - partReport.enqueued
            report.fused.append(partReport)
        }
        return report
    }

    /// Sends a commit's statements in one pipeline; on failure, an explicit transaction it
    /// opened is rolled back (the connection is ready for the next attempt).
    private func sendOrRollBack(_ statements: [Statement]) throws -> [QueryResult] {
        do {
            return try conn.pipeline(statements)
        } catch {
            conn.rollbackQuietly()
            throw error
        }
    }

    /// In an explicit transaction: effects item by item, each in a savepoint, so an item whose
    /// effect fails is recorded as failed and the others commit. Also the path of stages whose
    /// children are their effects' rows.
    func commitItemByItem(_ plan: CommitPlan, childrenFromRows: (ClaimedItem, [String]) throws -> [ChildItem]) throws -> CommitReport {
        try conn.pipeline([Statement("BEGIN"), Statement("SET CONSTRAINTS ALL IMMEDIATE"), hold()])
        do {
            var completions: [ItemCompletion] = []
            var failures = plan.failures
            var pending = plan.completions[...]
            while !pending.isEmpty {
                // Send the rest, each item in a savepoint; the first failure stops the pipeline.
                var statements: [Statement] = []
                var owner: [Int] = []  // statement index → offset in `pending`
                for (offset, completion) in pending.enumerated() {
                    statements.append(Statement("SAVEPOINT baton_item"))
                    owner.append(offset)
                    for effect in completion.effects {
                        statements.append(Statement(sql: effect.sql, values: effect.values))
                        owner.append(offset)
                    }
                    statements.append(Statement("RELEASE SAVEPOINT baton_item"))
                    owner.append(offset)
                }
                let (results, failure) = try conn.pipelineUntilFailure(statements)
                if let failure, FailurePolicy.treatment(of: failure) == .conflict { throw failure }
                let succeeded = failure.map { owner[$0.index] } ?? pending.count
                // The items before the failure ran and were released: keep them, with their rows.
                var resultIndex = 0
                for completion in pending.prefix(succeeded) {
                    resultIndex += 1
                    var rows: [String] = []
                    for _ in completion.effects {
                        if completion.outputsFromEffects {
                            for row in results[resultIndex].rows { rows.append(try row.decode(String.self, 0)) }
                        }
                        resultIndex += 1
                    }
                    resultIndex += 1
                    var done = completion
                    if completion.outputsFromEffects { done.children = try childrenFromRows(completion.item, rows) }
                    completions.append(done)
                }
                guard let failure else { break }
                // Undo the failing item only, and record it as failed.
                try conn.execute("ROLLBACK TO SAVEPOINT baton_item")
                try conn.execute("RELEASE SAVEPOINT baton_item")
                let failed = pending[pending.startIndex + succeeded]
                let classified = FailurePolicy.classify(failure)
                failures.append(ItemFailure(
                    item: failed.item, isPermanent: classified.isPermanent,
                    delay: target.retry.delay(afterAttempt: failed.item.attempt, random: Double.random(in: 0..<1)),
                    errorClass: classified.errorClass, message: classified.message
                ))
                pending = pending.dropFirst(succeeded + 1)
            }
            let final = CommitPlan(batches: batches, completions: completions, failures: failures)
            let newBatches = try ids.take(final.batchesNeeded(childBatchSize: target.childBatchSize), conn)
            var statements = [finish(final)] + bookkeeping(final, newBatches: newBatches)
            let (children, childrenStatement) = childStatement(final.children, batchIDs: Array(newBatches.dropFirst(final.retries.count)))
            let childIndex = childrenStatement.map { _ in statements.count }
            if let childrenStatement { statements.append(childrenStatement) }
            if let results = resultStatement(final.children) { statements.append(results) }
            statements.append(Statement("COMMIT"))
            let results = try conn.pipeline(statements)
            var report = final.report
            if let childIndex { count(&report, children: children, enqueued: try results[childIndex].rows[0].decode(Int.self, 0)) }
            return report
        } catch {
            conn.rollbackQuietly()
            throw error
        }
    }

    /// For a large fan-out: in an explicit transaction, the children (in memory and spilled)
    /// written a bounded chunk at a time, then the rest of the commit. The batches stay locked
    /// by the transaction, so neither the rescuer nor another worker takes them meanwhile.
    func commitInChunks(_ plan: CommitPlan) throws -> CommitReport {
        try conn.pipeline([Statement("BEGIN"), Statement("SET CONSTRAINTS ALL IMMEDIATE"), hold()])
        do {
            var total = 0
            var enqueued = 0
            func write(_ chunk: [(parent: ClaimedItem, child: ChildItem)]) throws {
                guard !chunk.isEmpty else { return }
                if target.nextStage != nil {
                    let batchIDs = try ids.take((chunk.count + target.nextBatchSize - 1) / target.nextBatchSize, conn)
                    let (n, statement) = childStatement(chunk, batchIDs: batchIDs)
                    guard let statement else { return }
                    total += n
                    enqueued += try conn.pipeline([statement])[0].rows[0].decode(Int.self, 0)
                } else if let results = resultStatement(chunk) {
                    try conn.pipeline([results])
                }
            }
            let chunkSize = 5_000
            let inMemory = plan.children
            for start in stride(from: 0, to: inMemory.count, by: chunkSize) {
                try write(Array(inMemory[start..<min(start + chunkSize, inMemory.count)]))
            }
            for completion in plan.completions {
                guard let spill = completion.spill else { continue }
                try spill.forEachChunk(chunkSize) { children in try write(children.map { (completion.item, $0) }) }
            }
            let retryBatches = try ids.take(plan.retries.count, conn)
            var statements = [finish(plan)] + bookkeeping(plan, newBatches: retryBatches)
            statements += try effectStatements(plan.completions)
            statements.append(Statement("COMMIT"))
            try conn.pipeline(statements)
            var report = plan.report
            count(&report, children: total, enqueued: enqueued)
            return report
        } catch {
            conn.rollbackQuietly()
            throw error
        }
    }

    private func count(_ report: inout CommitReport, children: Int, enqueued: Int) {
        report.enqueued = enqueued
        report.deduplicated = target.nextStage == nil ? 0 : children - enqueued
    }

    // MARK: Statements

    private var batchArray: PostgresArray { PostgresArray(batches.map { String($0) }) }

    private func hold() -> Statement {
        Statement("SELECT baton.hold_batches($1::bigint[], $2::uuid)", [batchArray, token])
    }

    /// The fence and the batches' final counts.
    private func finish(_ plan: CommitPlan) -> Statement {
        let skipped = plan.tallies.flatMap { tally in tally.skippedItems.map { (tally.batch, $0) } }
        return Statement(
            "SELECT baton.finish_batches($1::bigint[], $2::uuid, $3, $4::int[], $5::int[], $6::int[], $7::int[], $8::bigint[], $9::bigint[])", [
                PostgresArray(plan.tallies.map { String($0.batch) }), token, target.stageHash,
                PostgresArray(plan.tallies.map { $0.size }), PostgresArray(plan.tallies.map { $0.done }),
                PostgresArray(plan.tallies.map { $0.skipped }), PostgresArray(plan.tallies.map { $0.failed }),
                PostgresArray(skipped.map { String($0.0) }), PostgresArray(skipped.map { String($0.1) }),
            ])
    }

    /// Outcomes, retry batches and the attempt history.
    private func bookkeeping(_ plan: CommitPlan, newBatches: [Int64]) -> [Statement] {
        var statements: [Statement] = []
        if !plan.outcomes.isEmpty {
            statements.append(Statement("""
                UPDATE baton.item_rows i SET outcome = u.outcome, error = u.error, error_class = u.class
                FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(id, outcome, error, class)
                WHERE i.run_id = $1 AND i.id = u.id
                """, [
                    target.runID, PostgresArray(plan.outcomes.map { String($0.item) }), PostgresArray(plan.outcomes.map { $0.state.rawValue }),
                    PostgresArray(plan.outcomes.map(\.error)), PostgresArray(plan.outcomes.map(\.errorClass)),
                ]))
        }
        for (group, batch) in zip(plan.retries, newBatches) {
            let items = PostgresArray(group.failures.map { String($0.item.id) })
            statements.append(Statement("""
                WITH b AS (
                    INSERT INTO baton.batches (id, run_id, stage, attempt, max_attempts, available_at, item_ids, size)
                    VALUES ($2, $1, $3, $4, $5, now() + $6 * interval '1 millisecond', $7::bigint[], cardinality($7::bigint[]))
                )
                UPDATE baton.item_rows i SET batch_id = $2, error = u.error, error_class = u.class
                FROM unnest($7::bigint[], $8::text[], $9::text[]) AS u(id, error, class)
                WHERE i.run_id = $1 AND i.id = u.id
                """, [
                    target.runID, batch, target.stage, group.attempt, group.maxAttempts, Int(group.delay.milliseconds), items,
                    PostgresArray(group.failures.map(\.message)), PostgresArray(group.failures.map(\.errorClass)),
                ]))
        }
        if !plan.failures.isEmpty {
            statements.append(Statement("""
                INSERT INTO baton.attempts (item_id, run_id, attempt, worker, started_at, outcome, error_class, error)
                SELECT u.id, $1, u.attempt, $2, b.claimed_at, u.outcome, u.class, u.error
                FROM unnest($3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bigint[])
                     AS u(id, attempt, outcome, class, error, batch)
                JOIN baton.batches b ON b.id = u.batch
                """, [
                    target.runID, target.worker, PostgresArray(plan.failures.map { String($0.item.id) }),
                    PostgresArray(plan.failures.map { $0.item.attempt }),
                    PostgresArray(plan.failures.map { $0.nextState == .failed ? "failed" : "retry" }),
                    PostgresArray(plan.failures.map(\.errorClass)), PostgresArray(plan.failures.map(\.message)),
                    PostgresArray(plan.failures.map { String($0.item.batchID) }),
                ]))
        }
        return statements
    }

    /// The next stage's items, in new batches of the next stage's batch size; duplicates
    /// (same key already in the stage) are skipped and counted.
    func childStatement(_ children: [(parent: ClaimedItem, child: ChildItem)], batchIDs: [Int64]) -> (Int, Statement?) {
        guard let next = target.nextStage, !children.isEmpty else { return (children.count, nil) }
        var ids: [String] = []
        var batches: [String] = []
        ids.reserveCapacity(children.count)
        batches.reserveCapacity(children.count)
        for index in children.indices {
            let batch = batchIDs[index / target.nextBatchSize]
            ids.append(String(Store.itemID(batch: batch, position: index % target.nextBatchSize)))
            batches.append(String(batch))
        }
        let parentBatch = children[0].parent.batchID
        return (children.count, Statement("""
            WITH ins AS (
                INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id, parent_id)
                SELECT $1, c.id, $2, c.key, c.payload, c.batch, c.parent
                FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[]) AS c(id, key, payload, batch, parent)
                ON CONFLICT (run_id, stage, key) DO NOTHING
                RETURNING batch_id
            ), made AS (
                INSERT INTO baton.batches (id, run_id, stage, max_attempts, size, parent_batch)
                SELECT batch_id, $1, $2, $8, count(*), $9 FROM ins GROUP BY batch_id
                RETURNING size
            ), dups AS (
                INSERT INTO baton.counters (run_id, stage, counter, amount)
                SELECT $1, $2, 'deduplicated', $10 - coalesce(sum(size), 0) FROM made
                HAVING $10 - coalesce(sum(size), 0) > 0
            )
            SELECT coalesce(sum(size), 0)::bigint FROM made
            """, [
                target.runID, next, PostgresArray(ids), PostgresArray(children.map(\.child.key)),
                PostgresArray(children.map(\.child.payload)), PostgresArray(batches),
                PostgresArray(children.map { String($0.parent.id) }), target.nextMaxAttempts, parentBatch, children.count,
            ]))
    }

    /// The outputs of a last stage that writes to `baton.results`.
    /// `plainly`: without `ON CONFLICT`, which costs a speculative insertion per row (about
    /// 3 µs of the server's time): a key already there fails the statement (23505).
    func resultStatement(_ children: [(parent: ClaimedItem, child: ChildItem)], plainly: Bool = false) -> Statement? {
        guard target.nextStage == nil, target.writesResults, !children.isEmpty else { return nil }
        // A key may repeat within one batch only by a transform bug; keep the last.
        var latest: [ExactText: (ClaimedItem, ChildItem)] = [:]
        for entry in children { latest[ExactText(entry.child.key)] = entry }
        let unique = latest.values.sorted { $0.1.key < $1.1.key }
        let conflict = plainly ? "" : """

            ON CONFLICT (run_id, key) DO UPDATE
            SET payload = excluded.payload, stage = excluded.stage, item_id = excluded.item_id, created_at = now()
            """
        return Statement("""
            INSERT INTO baton.results (run_id, key, stage, payload, item_id)
            SELECT $1, r.key, $2, r.payload::jsonb, r.item
            FROM unnest($3::text[], $4::text[], $5::bigint[]) AS r(key, payload, item)\(conflict)
            """, [
                target.runID, target.stage, PostgresArray(unique.map(\.1.key)), PostgresArray(unique.map(\.1.payload)),
                PostgresArray(unique.map { String($0.0.id) }),
            ])
    }

    /// The stage's effects: one set-based statement when every item runs the same one-row
    /// INSERT (``SQLBatchForm``), else one statement per effect, in effect order.
    func effectStatements(_ completions: [ItemCompletion]) throws -> [Statement] {
        let effects = completions.flatMap(\.effects)
        guard !effects.isEmpty else { return [] }
        if effects.count > 1, completions.allSatisfy({ $0.effects.count == 1 }), let sql = effects.first?.sql,
           effects.allSatisfy({ $0.sql == sql }), let form = SQLBatchForm(sql, parameterCount: effects[0].parameters.count) {
            let types = try conn.parameterTypes(of: sql)
            let columns = (0..<effects[0].parameters.count).map { column in
                PostgresArray(effects.map { $0.parameters[column] }).postgresValue
            }
            return [Statement(sql: form.statement(types: types), values: columns)]
        }
        return effects.map { Statement(sql: $0.sql, values: $0.values) }
    }
}

extension Store {
    /// Items per batch at most (an item's id holds its position in 21 bits).
    package static let maxBatchSize = 100_000

    /// The id of the item at `position` of `batch`.
    package static func itemID(batch: Int64, position: Int) -> Int64 { batch << 21 | Int64(position) }
}

extension SQLEffect {
    /// The parameters as libpq values (text, NULL for nil).
    var values: [PostgresValue] { parameters.map { PostgresValue(bytes: $0.map { Array($0.utf8) }) } }
}
