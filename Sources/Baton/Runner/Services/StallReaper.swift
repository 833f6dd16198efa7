import BatonPostgres
import Logging
import Synchronization

/// Ends the sessions of baton processes that stopped in the middle of a statement inside a
/// transaction (paused, frozen, or starved of CPU): a COPY or a pipeline the server waits to
/// finish, with row locks held that no server timeout releases. A session seen waiting the
/// same way for the patience (the idle-in-transaction timeout of the run, at least 5 s) is
/// terminated; its process, if it ever resumes, reconnects and finds its lease gone.
///
/// It runs from the start of a process: set-up steps can wait on a stalled session too (a
/// paused process in the middle of its seed transaction holds the run's row), and the
/// maintenance services, which keep it running afterwards, only start once set-up is done.
final class StallReaper: MaintenanceService {
    let name = "stall reaper"
    let interval: Duration
    /// Its own connection: the shared one may itself be waiting for a stalled session's locks.
    var needsOwnConnection: Bool { true }
    private let logger: Logger
    private let tracker: Mutex<StallTracker>

    init(pipeline: Pipeline, logger: Logger) {
        self.logger = logger
        let patience = max(RunContext.idleInTransactionTimeout(pipeline), .seconds(5))
        tracker = Mutex(StallTracker(patience: patience))
        interval = patience / 4
    }

    /// Runs `body` (a process's set-up steps) with a reaper of its own beside it, stopped
    /// when `body` returns. A failing step is tried again at the next interval.
    static func guarding<T>(
        _ pipeline: Pipeline, database: ConnectionConfig, logger: Logger, _ body: () async throws -> T
    ) async throws -> T {
        let reaper = StallReaper(pipeline: pipeline, logger: logger)
        let session = PostgresSession(config: database, name: "baton-setup-reaper")
        let watch = Task {
            while !Task.isCancelled {
                do {
                    try await reaper.step(session)
                } catch {
                    logger.debug("stall reaper (set-up) failed; trying again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: reaper.interval)
            }
            await session.close()
        }
        // Not awaited: a step still connecting to an unreachable server must not delay the run.
        defer { watch.cancel() }
        return try await body()
    }

    func step(_ session: PostgresSession) async throws {
        let waits = try await session.withConnection { try Store.clientWaits($0) }
        let stalled = tracker.withLock { $0.observe(waits, at: ContinuousClock.now) }
        for stall in stalled {
            let ended = try await session.withConnection { try Store.terminateStalled($0, stall) }
            tracker.withLock { $0.forget(stall) }
            if ended {
                logger.warning("ended database session \(stall.pid): its process stopped in the middle of a transaction (paused or frozen) and held its locks")
            }
        }
    }
}
