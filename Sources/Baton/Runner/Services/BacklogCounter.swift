import BatonPostgres

/// Counts each stage's pending backlog four times a second, for backpressure.
final class BacklogCounter: MaintenanceService {
    let context: RunContext
    let name = "backlog counter"
    let interval: Duration = .milliseconds(250)

    init(context: RunContext) { self.context = context }

    func step(_ session: PostgresSession) async throws {
        let run = context.run.id
        let limit = context.pipeline.backlogLimit
        for (index, stage) in context.pipeline.stages.enumerated() {
            context.backlog.beginCount(stage: index)
            // Counted up to 4 × the limit (cheap on any queue size): a saturated count then
            // stays above the limit until claims really bring it down.
            let name = stage.name
            let count = try await session.withConnection { try Store.pendingBacklog($0, runID: run, stage: name, limit: 4 * limit + 1) }
            context.backlog.finishCount(stage: index, count)
        }
    }
}
