import Foundation

/// A live view of a run for progress displays.
public struct ProgressSnapshot: Sendable {
    public struct Stage: Sendable {
        public var name: String
        public var pending: Int
        public var running: Int
        public var done: Int
        public var skipped: Int
        public var failed: Int
        /// Retries done by this process so far.
        public var retried: Int
        /// Finished per second, recently (this process and others).
        public var itemsPerSecond: Double
        public var total: Int { pending + running + done + skipped + failed }
        public var finished: Int { done + skipped + failed }
    }
    public var runName: String
    public var stages: [Stage]
    public var seeded: Int64
    public var seedDone: Bool
    public var elapsed: Duration
    /// Records in the source, when the pre-check counted them.
    public var sourceTotal: Int64? = nil
    /// What messages call the source (its file, "source query").
    public var sourceName: String = ""
    /// Set while the source is checked record by record before the run starts: the records
    /// checked so far (the other fields are then empty).
    public var checking: Int64? = nil

    /// A snapshot of the pre-check of `pipeline`'s source.
    static func checking(pipeline: Pipeline, records: Int64, elapsed: Duration) -> ProgressSnapshot {
        ProgressSnapshot(runName: "", stages: [], seeded: 0, seedDone: false, elapsed: elapsed,
                         sourceName: pipeline.source.definition.displayName, checking: records)
    }
}
