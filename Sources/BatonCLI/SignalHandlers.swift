import Baton
import Foundation

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
                    ? "stopping now; releasing leases of in-flight items"
                    : "stopping: no new items are claimed, in-flight items finish (signal again to abandon them)"
                LogSetup.message(text, metadata: ["signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")"])
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
