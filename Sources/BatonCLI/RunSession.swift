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

    func execute(
        _ pipeline: Pipeline, database: ConnectionConfig,
        _ body: (RunOptions, RunController) async throws -> RunReport
    ) async throws {
        let controller = RunController()
        let signals = SignalHandlers(controller: controller)
        defer { signals.cancel() }

        let renderer = ProgressRenderer(mode: display.progress)
        var options = RunOptions(workers: display.workers, logger: logger)
        if let interval = renderer.interval {
            options.progressInterval = interval
            options.progress = { renderer.render($0) }
        }
        let report = try await body(options, controller)
        renderer.finish()
        let code = RunSession.exitCode(report)
        let summary = SummaryRenderer(report: report, exitCode: code)
        print(Secrets.redact(display.json ? summary.json() : summary.text()), terminator: display.json ? "\n" : "")
        if code != 0 { throw ExitCode(code) }
    }

    static func exitCode(_ report: RunReport) -> Int32 {
        switch report.stopReason {
        case .interrupt: return 130
        case .terminate: return 75
        case .cancelled: return 1
        case .none: break
        }
        switch report.run.state {
        case .succeeded: return 0
        case .failed: return 1
        case .running: return 75
        case .cancelled: return 1
        }
    }
}

/// SIGINT / SIGTERM → stop claiming and let in-flight items commit; a second signal
/// abandons in-flight items (their leases are released, nothing is lost).
///
/// Not Sendable: created and cancelled by the command's task only.
final class SignalHandlers {
    private let sources: [any DispatchSourceSignal]

    init(controller: RunController) {
        var sources: [any DispatchSourceSignal] = []
        for (number, reason) in [(SIGINT, RunController.StopReason.interrupt), (SIGTERM, .terminate)] {
            // A no-op handler rather than SIG_IGN: an ignored disposition would be inherited by
            // the programs of exec stages (they could then not be interrupted).
            signal(number, { _ in })
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let again = controller.isStopping
                controller.requestStop(reason)
                let text = again
                    ? "baton: stopping now; releasing leases of in-flight items\n"
                    : "baton: stopping: no new items are claimed, in-flight items finish (signal again to abandon them)\n"
                FileHandle.standardError.write(Data(text.utf8))
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
