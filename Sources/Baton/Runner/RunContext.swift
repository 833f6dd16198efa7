import BatonPostgres
import Foundation
import Logging
import Synchronization

/// What the workers, the seeder and the maintenance task of one process share while they
/// work a run.
final class RunContext: Sendable {
    let pipeline: Pipeline
    let run: RunRecord
    let database: ConnectionConfig
    let options: RunOptions
    let controller: RunController
    /// Per stage: process-wide cap on items in flight (the stage's `concurrency`).
    let limiters: [AsyncLimiter]
    /// Per stage: key derivation for items entering the stage.
    let keys: [KeyDeriver]
    private let state: Mutex<SharedState>
    let logger: Logger

    struct SharedState {
        /// Lease tokens held by this process's workers, with their lease length.
        var leases: [UUID: Duration] = [:]
        /// Per stage: pending items, as last counted (up to the limit + 1) and adjusted since by
        /// this process's own enqueues and claims. Producers of a stage pause while it is over
        /// the limit.
        var backlog: [Int]
        /// Per stage: adjustments made since the count in progress started (nil: no count
        /// in progress), so a slow count never overwrites newer enqueues.
        var sinceCount: [Int?]
        var complete = false
        var workersFinished = false
        var fatal: (any Error)?
        var processed = LocalStats()
    }

    init(pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions, controller: RunController) throws {
        self.pipeline = pipeline
        self.run = run
        self.database = database
        self.options = options
        self.controller = controller
        limiters = pipeline.stages.map { AsyncLimiter(limit: $0.concurrency) }
        keys = try pipeline.stages.map { stage in
            KeyDeriver(expression: try stage.key.map { try JQProgramPool($0) })
        }
        state = Mutex(SharedState(
            backlog: Array(repeating: 0, count: pipeline.stages.count),
            sinceCount: Array(repeating: nil, count: pipeline.stages.count)
        ))
        var logger = options.logger
        logger[metadataKey: "run.id"] = "\(run.id)"
        logger[metadataKey: "run.name"] = "\(run.name)"
        self.logger = logger
    }

    // MARK: Leases

    func holdLease(_ token: UUID, lease: Duration) {
        state.withLock { $0.leases[token] = lease }
    }

    func dropLease(_ token: UUID) {
        _ = state.withLock { $0.leases.removeValue(forKey: token) }
    }

    var heldLeases: [UUID: Duration] { state.withLock { $0.leases } }

    // MARK: Backpressure

    /// Producers of `stage` (the stage before it, or the seeder for stage 0) pause while its
    /// pending backlog is over the limit.
    func isBacklogFull(stage: Int) -> Bool {
        guard stage < pipeline.stages.count else { return false }
        return state.withLock { $0.backlog[stage] } > pipeline.backlogLimit
    }

    /// Call before counting a stage's backlog in the database (maintenance, every 250 ms).
    func beginBacklogCount(stage: Int) {
        state.withLock { $0.sinceCount[stage] = 0 }
    }

    /// The counted backlog, plus what this process enqueued or claimed while counting.
    func finishBacklogCount(stage: Int, _ count: Int) {
        state.withLock { state in
            state.backlog[stage] = max(0, count + (state.sinceCount[stage] ?? 0))
            state.sinceCount[stage] = nil
        }
    }

    /// Adjusts the estimate between counts: + enqueued, − claimed.
    func adjustBacklog(stage: Int, by delta: Int) {
        guard stage < pipeline.stages.count, delta != 0 else { return }
        state.withLock { state in
            state.backlog[stage] = max(0, state.backlog[stage] + delta)
            // While a count is in progress, keep only enqueues: they may have committed after
            // the count's snapshot. Claims are left out, so the estimate errs high (producers
            // pause a little early) rather than low (the queue overshoots).
            if delta > 0, let since = state.sinceCount[stage] { state.sinceCount[stage] = since + delta }
        }
    }

    // MARK: Completion

    var isComplete: Bool { state.withLock { $0.complete } }

    func markComplete() { state.withLock { $0.complete = true } }

    /// Set when every worker and the seeder have returned; the maintenance task then ends.
    var workersFinished: Bool { state.withLock { $0.workersFinished } }

    func markWorkersFinished() { state.withLock { $0.workersFinished = true } }

    /// Stops everything with an error (e.g. the database is gone for good).
    func fail(_ error: any Error) {
        state.withLock {
            if $0.fatal == nil { $0.fatal = error }
            $0.complete = true
        }
    }

    var fatal: (any Error)? { state.withLock { $0.fatal } }

    var shouldStop: Bool { controller.isStopping || isComplete }

    // MARK: Stats

    func record(stage: Int, _ report: CommitReport) {
        state.withLock { $0.processed.add(stage: stage, report) }
    }

    var localStats: LocalStats { state.withLock { $0.processed } }
}

/// Counts of what this process did, per stage (for live progress; summaries come from the
/// database and include other processes' work).
package struct LocalStats: Sendable, Hashable {
    package var done: [Int: Int] = [:]
    package var failed: [Int: Int] = [:]
    package var retried: [Int: Int] = [:]
    package var leaseLost: [Int: Int] = [:]

    mutating func add(stage: Int, _ report: CommitReport) {
        done[stage, default: 0] += report.done + report.skipped
        failed[stage, default: 0] += report.failed
        retried[stage, default: 0] += report.retried
        leaseLost[stage, default: 0] += report.leaseLost
    }
}
