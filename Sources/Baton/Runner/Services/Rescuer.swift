import BatonPostgres

/// Returns batches whose lease expired (any process's) to the queue, at least as often as
/// the shortest lease.
final class Rescuer: MaintenanceService {
    let context: RunContext
    let name = "rescuer"
    let interval: Duration

    init(context: RunContext) {
        self.context = context
        interval = min(context.options.rescueInterval, context.pipeline.stages.map(\.lease).min() ?? .seconds(30))
    }

    func step(_ session: PostgresSession) async throws {
        let run = context.run.id
        let byStage = try await session.withConnection { try Store.rescueExpiredByStage($0, runID: run) }
        for (stage, count) in byStage.sorted(by: { $0.key < $1.key }) {
            MetricsRegistry.shared.count(pipeline: context.pipeline.name, stage: stage, .rescued, count)
        }
        let rescued = byStage.values.reduce(0, +)
        if rescued > 0 {
            context.logger.warning("rescued \(rescued) item(s) whose lease expired (their worker stopped)")
        }
    }
}
