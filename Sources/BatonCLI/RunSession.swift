import ArgumentParser
import Baton
import BatonPostgres
import Foundation
import Logging

/// Works a run from the CLI: signal handling, live progress on stderr, the summary on
/// stdout, and the exit code (0 succeeded, 1 failed items, 130 SIGINT, 75 SIGTERM).
struct RunSession {
    let display: RunDisplayOptions
    let logger: Logger
    /// `baton run --seed-only`: a run left `running` with its source fully seeded succeeded.
    var seedOnly = false

    func execute(
        _ pipeline: Pipeline, database: ConnectionConfig,
        _ body: (RunOptions, RunController) async throws -> RunReport
    ) async throws {
        let controller = RunController()
        let signals = SignalHandlers(controller: controller)
        defer { signals.cancel() }

        let renderer = ProgressRenderer(mode: display.progress)
        var options = display.runOptions(for: pipeline, logger: logger)
        if let interval = renderer.interval {
            options.progressInterval = interval
            options.progress = { renderer.render($0) }
        }
        let metrics = try display.startMetrics(database: database)
        let report: RunReport
        do {
            report = try await body(options, controller)
        } catch {
            await metrics?.stop()
            renderer.finish()
            throw error
        }
        await metrics?.stop()
        renderer.finish()
        let code = RunSession.exitCode(report, seedOnly: seedOnly)
        let summary = SummaryRenderer(report: report, exitCode: code, width: OutputWidth.limit(wide: display.wide), seedOnly: seedOnly)
        print(Secrets.redact(display.json ? summary.json() : summary.text()), terminator: display.json ? "\n" : "")
        if code != 0 { throw ExitCode(code) }
    }

    static func exitCode(_ report: RunReport, seedOnly: Bool = false) -> Int32 {
        let exit: BatonExit
        switch (report.stopReason, report.run.state) {
        case (.none, .running) where seedOnly && report.run.seedDone: exit = .success
        case (.interrupt, _): exit = .interrupted
        case (.terminate, _), (.none, .running): exit = .temporary
        case (.cancelled, _), (.none, .failed), (.none, .cancelled): exit = .failedItems
        case (.none, .succeeded): exit = .success
        }
        return exit.rawValue
    }
}
