/// Per-stage facts for `baton status RUN`.
package struct RunStatusDetail: Sendable {
    package var oldestPendingSeconds: Double?
    /// (worker, items it holds now)
    package var workers: [(worker: String, items: Int)]
}
