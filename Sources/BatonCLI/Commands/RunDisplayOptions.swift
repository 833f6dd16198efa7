import ArgumentParser
import Foundation
import Logging
import Baton

/// Options of the commands that work a run (run, resume, replay, work).
struct RunDisplayOptions: ParsableArguments {
    @Option(help: "Worker loops in this process (each with its own database connection).")
    var workers: Int = 4

    @Flag(help: "Print the summary as one JSON document on stdout.")
    var json = false

    @Option(help: "Live progress on stderr: auto (tty when stderr is a terminal, else plain), tty, plain or none.")
    var progress: ProgressMode = .auto

    @Flag(help: "Show every column of the summary, however wide (default: fit the terminal, else 80 columns).")
    var wide = false

    @Option(help: ArgumentHelp("How long the database may stay unreachable before the process gives up with exit 75 (the run is safe to resume).", valueName: "duration"))
    var reconnectBudget: String = "60s"

    func validate() throws {
        guard let budget = DurationSyntax.parse(reconnectBudget), budget > .zero else {
            throw ValidationError("--reconnect-budget: `\(reconnectBudget)` is not a duration (e.g. 30s, 5m)")
        }
    }

    /// The options a run is worked with (workers, reconnect budget).
    func runOptions(logger: Logger) -> RunOptions {
        var options = RunOptions(workers: workers, logger: logger)
        options.reconnectBudget = DurationSyntax.parse(reconnectBudget) ?? options.reconnectBudget
        return options
    }
}
