import ArgumentParser
import Baton

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Stop a run: pending items become cancelled, running ones finish.",
        discussion: """
            Processes working the run stop claiming within a second. A cancelled run cannot be \
            resumed or replayed; start a new one. Only a running run can be cancelled.

            Example:
              baton cancel nightly
            """
    )

    @Argument(help: "Run name or id.")
    var run: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        let record = try await RunReference.find(run, global: global)
        switch record.state {
        case .running:
            break
        case .cancelled:
            print("run \(record.name) is already cancelled")
            return
        case .succeeded, .failed:
            // Cancelling would overwrite the outcome (and make `replay` refuse the run).
            throw BatonError(.usage, "run \(record.name) already \(record.state.rawValue); only a running run can be cancelled")
        }
        guard let cancelled = try await global.withConnection({ try Store.cancel($0, runID: record.id) }) else {
            throw BatonError(.usage, "run \(record.name) finished before it could be cancelled; it keeps its outcome")
        }
        print("cancelled run \(record.name): \(cancelled) pending item\(cancelled == 1 ? "" : "s") will not run")
    }
}
