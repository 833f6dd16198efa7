import BatonPostgres
import Synchronization

/// Ends the sessions of baton processes that stopped in the middle of a statement inside a
/// transaction (paused, frozen, or starved of CPU): a COPY or a pipeline the server waits to
/// finish, with row locks held that no server timeout releases. A session seen waiting the
/// same way for the patience (the idle-in-transaction timeout of the run, at least 5 s) is
/// terminated; its process, if it ever resumes, reconnects and finds its lease gone.
final class StallReaper: MaintenanceService {
    let context: RunContext
    let name = "stall reaper"
    let interval: Duration
    /// Its own connection: the shared one may itself be waiting for a stalled session's locks.
    var needsOwnConnection: Bool { true }
    private let tracker: Mutex<StallTracker>

    init(context: RunContext) {
        self.context = context
        let patience = max(RunContext.idleInTransactionTimeout(context.pipeline), .seconds(5))
        tracker = Mutex(StallTracker(patience: patience))
        interval = patience / 4
    }

    func step(_ session: PostgresSession) async throws {
        let waits = try await session.withConnection { try Store.clientWaits($0) }
        let stalled = tracker.withLock { $0.observe(waits, at: ContinuousClock.now) }
        for stall in stalled {
            let ended = try await session.withConnection { try Store.terminateStalled($0, stall) }
            tracker.withLock { $0.forget(stall) }
            if ended {
                context.logger.warning("ended database session \(stall.pid): its process stopped in the middle of a transaction (paused or frozen) and held its locks")
            }
        }
    }
}
