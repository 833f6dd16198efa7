import BatonPostgres
import Foundation

/// This process's row in `baton.workers`, refreshed every few seconds: `baton status` shows
/// a run nobody refreshes as interrupted. The row is removed when the process stops working
/// the run (``finish(_:)``).
final class WorkerBeat: MaintenanceService {
    let context: RunContext
    let name = "worker heartbeat"
    let interval: Duration = .seconds(Store.workerBeatSeconds)

    init(context: RunContext) { self.context = context }

    func step(_ session: PostgresSession) async throws {
        let name = context.options.workerName
        let run = context.run.id
        try await session.withConnection {
            try Store.beatWorker($0, name: name, runID: run, pid: ProcessInfo.processInfo.processIdentifier,
                                 host: ProcessInfo.processInfo.hostName)
        }
    }

    func finish(_ session: PostgresSession) async {
        let name = context.options.workerName
        _ = try? await session.withConnection { try Store.removeWorker($0, name: name) }
    }
}
