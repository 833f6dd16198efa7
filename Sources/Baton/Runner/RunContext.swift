import BatonPostgres
import Foundation
import Logging
import Synchronization

/// What the workers, the seeder and the maintenance services of one process share while they
/// work a run.
final class RunContext: Sendable {
    let pipeline: Pipeline
    let run: RunRecord
    /// The run's database, with the session guards every connection of the run gets.
    let database: ConnectionConfig
    let options: RunOptions
    let controller: RunController
    /// Per stage: process-wide cap on items in flight (the stage's `concurrency`).
    let limiters: [AsyncLimiter]
    /// Per stage: key derivation for items entering the stage.
    let keys: [KeyDeriver]
    let backlog: Backlog
    /// Rings when a commit enqueued items of this run (``WorkListener``).
    let wakeup = Wakeup()
    private let state: Mutex<SharedState>
    let logger: Logger

    struct SharedState {
        /// Lease tokens held by this process's workers, with their lease length.
        var leases: [UUID: Duration] = [:]
        /// Per worker: claims whose answer was lost with the connection, to give back.
        var lostClaims: [Int: [UUID]] = [:]
        var complete = false
        var workersFinished = false
        var fatal: (any Error)?
        /// Per stage: attempts this process sent back for a retry (for live progress).
        var retried: [Int: Int] = [:]
    }

    init(pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions, controller: RunController) throws {
        self.pipeline = pipeline
        self.run = run
        self.database = RunContext.guarded(database, pipeline: pipeline)
        self.options = options
        self.controller = controller
        limiters = pipeline.stages.map { AsyncLimiter(limit: $0.concurrency) }
        keys = try pipeline.stages.map { stage in
            KeyDeriver(expression: try stage.key.map { try JQProgramPool($0) })
        }
        backlog = Backlog(stages: pipeline.stages.count, limit: pipeline.backlogLimit)
        MetricsRegistry.shared.noteRun(run.id)
        MetricsRegistry.shared.declare(pipeline: pipeline.name, stages: pipeline.stages.map(\.name))
        state = Mutex(SharedState())
        var logger = options.logger
        logger[metadataKey: "run.id"] = "\(run.id)"
        logger[metadataKey: "run.name"] = "\(run.name)"
        self.logger = logger
    }

    /// Every connection of a run: the server ends a transaction left idle longer than the
    /// shortest lease (a paused or partitioned process then holds no row lock for long), and
    /// no statement waits for a lock forever.
    /// Waits for a lock end well before a connection's answer timeout (a lock timeout is an
    /// error to retry; a missing answer costs the connection). No server statement timeout.
    /// No JIT: Baton's statements are
    /// short, and once a run held about 5 million items the claim's generic plan was estimated
    /// past `jit_above_cost`, and compiling it took 70–90 ms of every claim of 0.4 ms.
    static func guarded(_ database: ConnectionConfig, pipeline: Pipeline) -> ConnectionConfig {
        var config = database
        config.sessionSettings += [
            ("idle_in_transaction_session_timeout", String(idleInTransactionTimeout(pipeline).milliseconds)),
            ("lock_timeout", String((database.answerTimeout / 2).milliseconds)),
            ("jit", "off"),
            // A role's or database's statement_timeout (100 ms, say) once cancelled the seeding
            // COPY over and over (exit 70): Baton keeps its own deadlines (the answer timeout,
            // a stage's `timeout:`), the server's is off for its sessions.
            ("statement_timeout", "0"),
        ]
        return config
    }

    /// The shortest lease of the pipeline, between 1 and 60 seconds.
    static func idleInTransactionTimeout(_ pipeline: Pipeline) -> Duration {
        let shortest = pipeline.stages.map(\.lease).min() ?? .seconds(30)
        return min(max(shortest, .seconds(1)), .seconds(60))
    }

    // MARK: Leases

    func holdLease(_ token: UUID, lease: Duration) {
        state.withLock { $0.leases[token] = lease }
    }

    func dropLease(_ token: UUID) {
        _ = state.withLock { $0.leases.removeValue(forKey: token) }
    }

    var heldLeases: [UUID: Duration] { state.withLock { $0.leases } }

    func recordLostClaim(_ token: UUID, of worker: Int) {
        state.withLock { $0.lostClaims[worker, default: []].append(token) }
    }

    func lostClaims(of worker: Int) -> [UUID] { state.withLock { $0.lostClaims[worker] ?? [] } }

    func forgetLostClaims(_ tokens: [UUID], of worker: Int) {
        state.withLock { $0.lostClaims[worker]?.removeAll { tokens.contains($0) } }
    }

    /// Every lease this process may still hold (for release when it abandons its work).
    var allTokens: [UUID] {
        state.withLock { Array($0.leases.keys) + $0.lostClaims.values.flatMap { $0 } }
    }

    // MARK: Backpressure

    /// Producers of `stage` (the stage before it, or the seeder for stage 0) pause while its
    /// pending backlog is over the limit.
    func isBacklogFull(stage: Int) -> Bool { backlog.isFull(stage: stage) }

    /// Adjusts the estimate between counts: + enqueued, − claimed.
    func adjustBacklog(stage: Int, by delta: Int) { backlog.adjust(stage: stage, by: delta) }

    // MARK: Completion

    var isComplete: Bool { state.withLock { $0.complete } }

    func markComplete() { state.withLock { $0.complete = true } }

    /// Set when every worker and the seeder have returned; the maintenance services then end.
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
        guard report.retried > 0 else { return }
        state.withLock { $0.retried[stage, default: 0] += report.retried }
    }

    func retried(stage: Int) -> Int { state.withLock { $0.retried[stage] ?? 0 } }

    /// Counts a commit's outcomes and latencies in the process's metrics (``MetricsRegistry``):
    /// the commit took from `committing` to now, its items from `claimedAt` to now.
    func recordMetrics(stage s: Int, _ report: CommitReport, items: Int, claimedAt: ContinuousClock.Instant,
                       committing: ContinuousClock.Instant) {
        let metrics = MetricsRegistry.shared
        let (pipeline, stage) = (self.pipeline.name, pipeline.stages[s].name)
        let now = ContinuousClock.now
        for (outcome, amount) in [(MetricsRegistry.Outcome.done, report.done), (.skipped, report.skipped), (.failed, report.failed),
                                  (.retried, report.retried), (.deduplicated, report.deduplicated), (.leaseLost, report.leaseLost)] {
            metrics.count(pipeline: pipeline, stage: stage, outcome, amount)
        }
        metrics.observe("baton_commit_duration_seconds", pipeline: pipeline, stage: stage, seconds: (now - committing).seconds)
        metrics.observe("baton_item_duration_seconds", pipeline: pipeline, stage: stage, seconds: (now - claimedAt).seconds,
                        count: items)
    }
}
