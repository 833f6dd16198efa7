/// Counts and timings of one stage of a run, from the database (so they include every
/// process that worked the run).
public struct StageSummary: Sendable, Hashable {
    /// The stage's name.
    public var name: String
    /// Items waiting to be claimed (now or after a backoff).
    public var pending = 0
    /// Items claimed by a worker.
    public var running = 0
    /// Items finished with outputs or effects.
    public var done = 0
    /// Items finished with nothing to pass on (filtered out).
    public var skipped = 0
    /// Items that failed for good.
    public var failed = 0
    /// Items of a cancelled run that will not be worked.
    public var cancelled = 0
    /// Attempts that failed and were tried again (including expired leases).
    public var retried = 0
    /// Items not enqueued because an item with the same key already existed.
    public var deduplicated = 0
    /// Commits refused because the worker's lease had been lost.
    public var leaseLost = 0
    /// Finished items (done + skipped + failed) per second of the stage's active span.
    public var itemsPerSecond: Double?
    /// Median time from claim to commit of finished items, in milliseconds.
    public var p50Milliseconds: Double?
    /// 95th percentile of the same.
    public var p95Milliseconds: Double?
    /// Items finished by a different version of the stage than the current one.
    public var olderVersion = 0

    /// Every item of the stage.
    public var total: Int { pending + running + done + skipped + failed + cancelled }
    /// Items that will not be worked again without a replay.
    public var finished: Int { done + skipped + failed + cancelled }
}
