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
        options.seedOnly = seedOnly
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
        let leftSeeded = RunSession.isLeftSeeded(report, seedOnly: seedOnly)
        let code = RunSession.exitCode(report, leftSeeded: leftSeeded)
        let summary = SummaryRenderer(report: report, exitCode: code, width: OutputWidth.limit(wide: display.wide), leftSeeded: leftSeeded)
        print(Secrets.redact(display.json ? summary.json() : summary.text()), terminator: display.json ? "\n" : "")
        if code != 0 { throw ExitCode(code) }
    }

    /// `baton run --seed-only` did its work: the source is fully seeded and the run left
    /// `running` for the workers, with no stop in between.
    static func isLeftSeeded(_ report: RunReport, seedOnly: Bool) -> Bool {
        seedOnly && report.stopReason == .none && report.run.state == .running && report.run.seedDone
    }

    static func exitCode(_ report: RunReport, leftSeeded: Bool = false) -> Int32 {
        let exit: BatonExit
        switch (report.stopReason, report.run.state) {
        case (.none, .running) where leftSeeded: exit = .success
        case (.interrupt, _), (.terminate, _): exit = BatonExit(stoppedBy: report.stopReason)
        case (.none, .running): exit = .temporary
        case (.cancelled, _), (.none, .failed), (.none, .cancelled): exit = .failedItems
        case (.none, .succeeded): exit = .success
        }
        return exit.rawValue
    }
}
