/// What one commit of claimed batches does, decided here in Swift from what the transforms
/// produced (the rules of ``ItemState``) and carried out by `Store.commit` with set-based
/// statements. Pure: tested without a database.
package struct CommitPlan: Sendable {
    /// The counts a batch ends with.
    package struct Tally: Sendable, Hashable {
        package var batch: Int64
        /// Items still in the batch (the others moved to a retry batch).
        package var size = 0
        package var done = 0
        package var skipped = 0
        package var failed = 0
        /// Members filtered out (recorded on the batch, not on each item).
        package var skippedItems: [Int64] = []
    }

    /// An item that failed for good (the only state recorded on the item itself).
    package struct Outcome: Sendable, Hashable {
        package var item: Int64
        package var state: ItemState
        package var errorClass: String?
        package var error: String?
    }

    /// Items that go back to the queue together, in a new batch, after a backoff.
    package struct RetryGroup: Sendable {
        /// The attempt they just failed (the new batch's attempt count so far).
        package var attempt: Int
        package var maxAttempts: Int
        /// The longest backoff requested in the group (so no item is tried early).
        package var delay: Duration
        package var failures: [ItemFailure]
    }

    package var tallies: [Tally]
    package var outcomes: [Outcome]
    package var retries: [RetryGroup]
    /// Every failure, for `baton.attempts`.
    package var failures: [ItemFailure]
    /// Completions, in effect order (by statement and parameters: batches that touch the same
    /// rows lock them in the same order and do not deadlock).
    package var completions: [ItemCompletion]
    /// What the commit reports once applied (`deduplicated`/`enqueued` come from the database).
    package var report: CommitReport

    /// `batches`: every batch being committed (an empty one still ends `done`).
    package init(batches: [Int64], completions: [ItemCompletion], failures: [ItemFailure]) {
        var tallies = Dictionary(uniqueKeysWithValues: batches.map { ($0, Tally(batch: $0)) })
        var outcomes: [Outcome] = []
        var report = CommitReport()
        for completion in completions {
            let state = completion.finalState
            tallies[completion.item.batchID, default: Tally(batch: completion.item.batchID)].size += 1
            if state == .skipped {
                tallies[completion.item.batchID]!.skipped += 1
                tallies[completion.item.batchID]!.skippedItems.append(completion.item.id)
                report.skipped += 1
            } else {
                tallies[completion.item.batchID]!.done += 1
                report.done += 1
            }
        }
        var retrying: [ItemFailure] = []
        for failure in failures {
            if failure.givesBack {
                // A new pending batch whose next claim gives the item the attempt it had.
                var back = failure
                back.item.attempt -= 1
                retrying.append(back)
            } else if failure.nextState == .pending {
                retrying.append(failure)
                report.retried += 1
            } else {
                tallies[failure.item.batchID, default: Tally(batch: failure.item.batchID)].size += 1
                tallies[failure.item.batchID]!.failed += 1
                report.failed += 1
                outcomes.append(Outcome(item: failure.item.id, state: .failed, errorClass: failure.errorClass, error: failure.message))
            }
        }
        self.tallies = tallies.values.sorted { $0.batch < $1.batch }
        self.outcomes = outcomes
        self.retries = CommitPlan.group(retrying)
        self.failures = failures.filter { !$0.givesBack }
        // Each sort key built once (not at every comparison); nothing to order without effects.
        let keyed = completions.map { (order: CommitPlan.effectOrder($0), completion: $0) }
        self.completions = keyed.contains(where: { !$0.order.isEmpty })
            ? keyed.sorted { $0.order.lexicographicallyPrecedes($1.order) }.map(\.completion)
            : completions
        self.report = report
    }

    /// Retries grouped by attempt, then by backoff (items given back never share a batch with
    /// retried ones): delays within a quarter (plus 50 ms) of the
    /// group's shortest share a batch, which waits for the longest of them.
    static func group(_ failures: [ItemFailure]) -> [RetryGroup] {
        var groups: [RetryGroup] = []
        let sorted = failures.sorted { ($0.item.attempt, $0.item.maxAttempts, $0.delay) < ($1.item.attempt, $1.item.maxAttempts, $1.delay) }
        var shortest: Duration = .zero
        for failure in sorted {
            if var last = groups.last, last.attempt == failure.item.attempt, last.maxAttempts == failure.item.maxAttempts,
               last.failures[0].givesBack == failure.givesBack,
               failure.delay <= shortest * 1.25 + .milliseconds(50) {
                last.failures.append(failure)
                last.delay = max(last.delay, failure.delay)
                groups[groups.count - 1] = last
            } else {
                shortest = failure.delay
                groups.append(RetryGroup(attempt: failure.item.attempt, maxAttempts: failure.item.maxAttempts,
                                         delay: failure.delay, failures: [failure]))
            }
        }
        return groups
    }

    private static func effectOrder(_ completion: ItemCompletion) -> [String] {
        completion.effects.flatMap { [$0.sql] + $0.parameters.map { $0 ?? "" } }
    }

    /// All children, in order, with their parents.
    package var children: [(parent: ClaimedItem, child: ChildItem)] {
        completions.flatMap { completion in completion.children.map { (completion.item, $0) } }
    }

    /// Batch ids the commit creates: one per retry group, one per `childBatchSize` children
    /// (none for children that are no stage's items: nil, the last stage). The last stage once
    /// asked for one id per result, and its worker fetched a new reserve of ids (a
    /// transaction of its own, flushed to disk) at every commit.
    package func batchesNeeded(childBatchSize: Int?) -> Int {
        guard let childBatchSize else { return retries.count }
        let children = completions.reduce(0) { $0 + $1.children.count }
        return retries.count + (children + childBatchSize - 1) / max(1, childBatchSize)
    }
}
