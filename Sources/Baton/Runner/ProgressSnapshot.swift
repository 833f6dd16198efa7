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
}
