import ArgumentParser
import Foundation
import Logging
import Baton
import BatonPostgres

/// Options of the commands that work a run (run, resume, replay, work).
struct RunDisplayOptions: ParsableArguments {
    @Option(help: "Worker loops in this process for each run (each with its own database connection). Default: the pipeline's `workers:`, else 4.")
    var workers: Int?

    @Flag(help: "Print the summary as one JSON document on stdout.")
    var json = false

    @Option(help: "Live progress on stderr: auto (tty when stderr is a terminal, else plain), tty, plain or none.")
    var progress: ProgressMode = .auto

    @Flag(help: "Show every column of the summary, however wide (default: fit the terminal, else 80 columns).")
    var wide = false

    @Option(help: ArgumentHelp("How long the database may stay unreachable before the process gives up with exit 75 (the run is safe to resume).", valueName: "duration"))
    var reconnectBudget: String = "60s"

    @Flag(name: .customLong("poll-only"), help: "Idle workers poll only (up to every 0.5 s) instead of also waking at once on the notifications of commits that enqueue items (LISTEN/NOTIFY; automatic behind a transaction pooler).")
    var pollOnly = false

    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp(
        "Serve Prometheus metrics at http://HOST:PORT/metrics while working (e.g. 127.0.0.1:9464; port 0 picks a free one).",
        valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp(
        "Write the metrics to PATH (node_exporter textfile format, e.g. /var/lib/node_exporter/baton.prom) every --metrics-interval and at exit.",
        valueName: "path"))
    var metricsFile: String?

    @Option(name: .customLong("metrics-interval"), help: ArgumentHelp("How often --metrics-file is rewritten.", valueName: "duration"))
    var metricsInterval: String = "15s"

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        guard let every = DurationSyntax.parse(metricsInterval), every > .zero else {
            throw ValidationError("--metrics-interval: `\(metricsInterval)` is not a duration (e.g. 15s, 1m)")
        }
        guard let budget = DurationSyntax.parse(reconnectBudget), budget > .zero else {
            throw ValidationError("--reconnect-budget: `\(reconnectBudget)` is not a duration (e.g. 30s, 5m)")
        }
    }

    /// The options a run of `pipeline` is worked with (workers: `--workers`, else the
    /// pipeline's `workers:`, else 4; the reconnect budget).
    func runOptions(for pipeline: Pipeline, logger: Logger) -> RunOptions {
        var options = RunOptions(workers: workers ?? pipeline.workers ?? 4, logger: logger)
        options.reconnectBudget = DurationSyntax.parse(reconnectBudget) ?? options.reconnectBudget
        options.pollOnly = pollOnly
        return options
    }
}

extension RunDisplayOptions {
    /// Starts publishing metrics if `--metrics-listen` or `--metrics-file` asks for it.
    func startMetrics(database: ConnectionConfig) throws -> MetricsExporter? {
        let exporter = try MetricsExporter(listen: metricsListen, file: metricsFile,
                                           interval: DurationSyntax.parse(metricsInterval) ?? .seconds(15), database: database)
        if let address = exporter?.address { LogSetup.message("serving metrics on http://\(address)/metrics") }
        return exporter
    }
}
