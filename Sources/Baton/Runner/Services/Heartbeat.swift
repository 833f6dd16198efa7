import BatonPostgres
import Foundation

/// Extends this process's leases every third of the shortest lease, on its own connection.
final class Heartbeat: MaintenanceService {
    let context: RunContext
    let name = "heartbeat"
    let interval: Duration
    var needsOwnConnection: Bool { true }

    init(context: RunContext) {
        self.context = context
        interval = (context.pipeline.stages.map(\.lease).min() ?? .seconds(30)) / 3
    }

    func step(_ session: PostgresSession) async throws {
        var grouped: [Duration: [UUID]] = [:]
        for (token, lease) in context.heldLeases { grouped[lease, default: []].append(token) }
        for (lease, tokens) in grouped {
            try await session.withConnection { _ = try Store.renewLeases($0, tokens: tokens, lease: lease) }
        }
    }
}
