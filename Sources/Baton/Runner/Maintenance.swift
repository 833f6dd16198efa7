import BatonPostgres
import Foundation
import Logging

extension MaintenanceService {
    var needsOwnConnection: Bool { false }
    func finish(_ session: PostgresSession) async {}
}

/// Runs a process's maintenance services side by side until the workers are done, each with
/// the shared reconnect policy. An actor on a thread of its own: heartbeats keep their rhythm
/// even when CPU-heavy transforms keep Swift's cooperative threads busy.
actor Maintenance {
    let context: RunContext
    private let services: [any MaintenanceService]
    private let executor = DedicatedThreadExecutor(name: "baton-maint")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(context: RunContext) {
        self.context = context
        var services: [any MaintenanceService] = [Heartbeat(context: context), Rescuer(context: context),
                                                  BacklogCounter(context: context), CancelWatcher(context: context),
                                                  WorkerBeat(context: context), StallReaper(pipeline: context.pipeline, logger: context.logger)]
        if let reporter = ProgressReporter(context: context) { services.append(reporter) }
        self.services = services
    }

    deinit { executor.shutdown() }

    /// Runs until `finished()` says the workers are done.
    func run(until finished: @escaping @Sendable () -> Bool) async {
        let shared = PostgresSession(config: context.database, name: "baton-maint-db")
        await withTaskGroup(of: Void.self) { group in
            for service in services {
                let session = service.needsOwnConnection ? PostgresSession(config: context.database, name: "baton-\(service.name)") : shared
                group.addTask {
                    await self.loop(service, session: session, until: finished)
                    await service.finish(session)
                }
            }
        }
    }

    private func loop(_ service: any MaintenanceService, session: PostgresSession, until finished: @Sendable () -> Bool) async {
        var reconnector = Reconnector(budget: context.options.reconnectBudget, what: service.name, logger: context.logger)
        var next = ContinuousClock.now
        while !finished() {
            if ContinuousClock.now >= next {
                next = ContinuousClock.now + service.interval
                do {
                    try await service.step(session)
                    reconnector.succeeded()
                } catch let error where FailurePolicy.needsReconnect(error) {
                    do {
                        try await reconnector.failed(error)
                    } catch {
                        context.fail(error)
                        return
                    }
                } catch is CancellationError {
                    return
                } catch {
                    context.logger.debug("\(service.name) failed; trying again", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: min(.milliseconds(50), max(.milliseconds(1), next - ContinuousClock.now)))
        }
    }
}
