import Foundation

/// A live view of a run for progress displays.
public struct ProgressSnapshot: Sendable {
    /// One stage's counts.
    public struct Stage: Sendable {
        /// The stage's name.
        public var name: String
        /// Items waiting to be claimed.
        public var pending: Int
        /// Items being worked.
        public var running: Int
        /// Items done.
        public var done: Int
        /// Items filtered out.
        public var skipped: Int
        /// Items failed for good.
        public var failed: Int
        /// Retries done by this process so far.
        public var retried: Int
        /// Finished per second, recently (this process and others).
        public var itemsPerSecond: Double
        /// Every item of the stage so far.
        public var total: Int { pending + running + done + skipped + failed }
        /// Items done, skipped or failed.
        public var finished: Int { done + skipped + failed }
    }
    /// The run's name.
    public var runName: String
    /// Per stage, in pipeline order.
    public var stages: [Stage]
    /// Source items seeded so far.
    public var seeded: Int64
    /// Whether the whole source is seeded.
    public var seedDone: Bool
    /// Time since this process started working the run.
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
