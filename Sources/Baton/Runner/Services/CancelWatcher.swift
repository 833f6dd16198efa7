import BatonPostgres

/// Notices `baton cancel` from another process within a second: stop claiming.
final class CancelWatcher: MaintenanceService {
    let context: RunContext
    let name = "cancel watcher"
    let interval: Duration = .seconds(1)

    init(context: RunContext) { self.context = context }

    func step(_ session: PostgresSession) async throws {
        let run = context.run.id
        let state = try await session.withConnection { try Store.run($0, id: run)?.state }
        if state == .cancelled && (!context.controller.isStopping || context.controller.isYielding) {
            context.logger.notice("the run was cancelled: finishing in-flight items, claiming no more")
            context.controller.requestFirstStop(.cancelled)
        }
    }
}
