import BatonPostgres
import Foundation
import Logging
import Synchronization

/// Listens for `baton_work` notifications (migration 6: sent by every commit that enqueues
/// items) on a connection of its own, on a thread of its own, and wakes the run's idle
/// workers when one names the run. Polling stays the fallback: while this is not
/// connected, workers wake on their poll interval only.
///
/// Not started with `--poll-only`, and it stops by itself behind a transaction pooler
/// (there `LISTEN` would listen on a server session the pooler hands to someone else).
final class WorkListener: Sendable {
    private let stopping = Mutex(false)
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let done = Mutex(false)

    /// Starts listening for run `runID`, waking `wakeup`.
    init(database: ConnectionConfig, runID: Int64, wakeup: Wakeup, logger: Logger) {
        let thread = Thread { [self] in
            self.loop(database: database, runID: runID, wakeup: wakeup, logger: logger)
            self.done.withLock { $0 = true }
            self.finished.withLock { $0.take() }?.resume()
        }
        thread.name = "baton-listen"
        thread.start()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    private func loop(database: ConnectionConfig, runID: Int64, wakeup: Wakeup, logger: Logger) {
        guard database.pooler != .transaction else {
            logger.info("poll only: behind a transaction pooler, LISTEN is not available")
            return
        }
        let payload = String(runID)
        var connection: Connection?
        while !isStopping {
            do {
                let conn: Connection
                if let connection { conn = connection } else {
                    conn = try Connection(database)
                    if conn.isPooled {
                        logger.info("poll only: a transaction pooler was detected, LISTEN is not available")
                        return
                    }
                    try conn.listen("baton_work")
                    connection = conn
                    // Items may have come while this was not listening.
                    wakeup.signal()
                }
                let received = try conn.notifications(waitingUpTo: .milliseconds(250))
                if received.contains(where: { $0.payload == payload }) { wakeup.signal() }
            } catch {
                // Lost (a restart, a dropped session): workers poll meanwhile; try again soon.
                connection = nil
                for _ in 0..<10 where !isStopping { usleep(100_000) }
            }
        }
    }

    /// Stops listening; returns once the thread is done.
    func stop() async {
        stopping.withLock { $0 = true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let over = done.withLock { isDone -> Bool in
                if !isDone { finished.withLock { $0 = continuation } }
                return isDone
            }
            if over { continuation.resume() }
        }
    }
}
