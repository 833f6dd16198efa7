import Baton
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the pipe the signal handler writes to (set once, before any handler is
/// installed; only `write(2)` touches it from the handler, which is async-signal-safe).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

/// SIGINT / SIGTERM → stop claiming and let in-flight items commit; a second signal
/// abandons in-flight items (their leases are released, nothing is lost).
///
/// The handler only writes the signal's number to a pipe; a thread of its own reads it and
/// acts. Nothing depends on a Dispatch or cooperative-pool thread being free, so a signal
/// is acted on at once however busy the process is.
///
/// Not Sendable: created and cancelled by the command's task only.
final class SignalHandlers {
    private let readEnd: Int32
    private let writeEnd: Int32

    init(controller: RunController) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        readEnd = fds[0]
        writeEnd = fds[1]
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        signalPipeWrite = writeEnd
        let readEnd = self.readEnd
        let thread = Thread {
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) == 1, byte != 0 {
                let number = Int32(byte)
                let again = controller.isStopping
                controller.requestStop(number == SIGINT ? .interrupt : .terminate)
                let text = again
                    ? "stopping now; releasing leases of in-flight items"
                    : "stopping: no new items are claimed, in-flight items finish (signal again to abandon them)"
                LogSetup.message(text, metadata: ["signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")"])
            }
            close(readEnd)
        }
        thread.name = "baton-signals"
        thread.start()
        // A handler rather than SIG_IGN: an ignored disposition would be inherited by the
        // programs of exec stages (they could then not be interrupted); a handler is not.
        for number in [SIGINT, SIGTERM] {
            signal(number) { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(signalPipeWrite, &byte, 1)
            }
        }
    }

    func cancel() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        var stop: UInt8 = 0
        _ = write(writeEnd, &stop, 1)
        close(writeEnd)
    }
}
