import Synchronization

/// Per stage: pending items, as last counted (the maintenance's backlog counter) and adjusted
/// since by this process's own enqueues and claims. Producers of a stage pause while it is
/// over the limit, so memory and queue size stay bounded whatever the source's size.
final class Backlog: Sendable {
    private struct Counts {
        var estimate: [Int]
        /// Adjustments made since the count in progress started (nil: no count in progress),
        /// so a slow count never overwrites newer enqueues.
        var sinceCount: [Int?]
    }

    private let counts: Mutex<Counts>
    let limit: Int
    private let stages: Int

    init(stages: Int, limit: Int) {
        self.stages = stages
        self.limit = limit
        counts = Mutex(Counts(estimate: Array(repeating: 0, count: stages), sinceCount: Array(repeating: nil, count: stages)))
    }

    func isFull(stage: Int) -> Bool {
        guard stage < stages else { return false }
        return counts.withLock { $0.estimate[stage] } > limit
    }

    /// Call before counting a stage's backlog in the database.
    func beginCount(stage: Int) {
        counts.withLock { $0.sinceCount[stage] = 0 }
    }

    /// The counted backlog, plus what this process enqueued while counting.
    func finishCount(stage: Int, _ count: Int) {
        counts.withLock { counts in
            counts.estimate[stage] = max(0, count + (counts.sinceCount[stage] ?? 0))
            counts.sinceCount[stage] = nil
        }
    }

    /// + enqueued, − claimed.
    func adjust(stage: Int, by delta: Int) {
        guard stage < stages, delta != 0 else { return }
        counts.withLock { counts in
            counts.estimate[stage] = max(0, counts.estimate[stage] + delta)
            // While a count is in progress, keep only enqueues: they may have committed after
            // the count's snapshot. Claims are left out, so the estimate errs high (producers
            // pause a little early) rather than low (the queue overshoots).
            if delta > 0, let since = counts.sinceCount[stage] { counts.sinceCount[stage] = since + delta }
        }
    }
}
