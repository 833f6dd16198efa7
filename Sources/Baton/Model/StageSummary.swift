/// Counts and timings of one stage of a run, from the database (so they include every
/// process that worked the run).
public struct StageSummary: Sendable, Hashable, Codable {
    public var name: String
    public var pending = 0
    public var running = 0
    public var done = 0
    public var skipped = 0
    public var failed = 0
    public var cancelled = 0
    /// Attempts that failed and were tried again (including expired leases).
    public var retried = 0
    /// Items not enqueued because an item with the same key already existed.
    public var deduplicated = 0
    /// Commits refused because the worker's lease had been lost.
    public var leaseLost = 0
    /// Finished items (done + skipped + failed) per second of the stage's active span.
    public var itemsPerSecond: Double?
    /// Time from claim to commit of finished items, in milliseconds.
    public var p50Milliseconds: Double?
    public var p95Milliseconds: Double?
    /// Items finished by a different version of the stage than the current one.
    public var olderVersion = 0

    public var total: Int { pending + running + done + skipped + failed + cancelled }
    public var finished: Int { done + skipped + failed + cancelled }

    enum CodingKeys: String, CodingKey {
        case name, pending, running, done, skipped, failed, cancelled, retried, deduplicated
        case leaseLost = "lease_lost"
        case itemsPerSecond = "items_per_second"
        case p50Milliseconds = "p50_ms"
        case p95Milliseconds = "p95_ms"
        case olderVersion = "older_version"
    }
}
