import Logging
import Synchronization

/// The children of one stream `exec` stage in one process: `processes` slots shared by every
/// worker, each item sent to the least busy one. Children start on first use and stop when
/// the last run using the stage finishes (or when the pool is released).
final class CoprocessPool: Sendable {
    private let slots: [Coprocess]
    /// Runs of this process currently using the stage.
    private let users = Mutex(0)

    init(config: ExecStageConfig) {
        slots = (0..<max(1, config.processes)).map { slot in
            Coprocess(settings: Coprocess.Settings(
                command: config.command, environment: config.environment, workingDirectory: config.workingDirectory,
                timeout: config.timeout, startTimeout: config.startTimeout, window: config.window, slot: slot
            ))
        }
    }

    func process(_ item: StageInput) async throws -> StageOutput {
        var chosen = slots[0]
        var lowest = chosen.load
        for slot in slots.dropFirst() where lowest > 0 {
            let load = slot.load
            if load < lowest {
                chosen = slot
                lowest = load
            }
        }
        return try await chosen.process(item)
    }

    /// A run starts using the stage; its logger receives the children's stderr.
    func retain(logger: Logger) {
        users.withLock { $0 += 1 }
        for slot in slots { slot.setLogger(logger) }
    }

    /// A run is done with the stage; the last one stops the children and waits until they
    /// are gone.
    func release() async {
        let last = users.withLock { count -> Bool in
            count = max(0, count - 1)
            return count == 0
        }
        if last { await shutdown() }
    }

    func shutdown() async {
        for slot in slots { await slot.shutdown() }
    }
}
