import Baton
import Foundation
import Logging
import Synchronization

/// SIGINT / SIGTERM → stop claiming and let in-flight items commit; a second signal
/// abandons in-flight items (transforms are stopped, their leases released, the summary
/// printed); if that has not ended the process within ``hardExitAfter``, it exits anyway
/// (leases then expire on their own); a third signal exits at once.
///
/// The C handler only writes the signal's number to a pipe (async-signal-safe, whichever
/// thread the kernel picks); a thread of ours reads it and does the rest. Handlers (not
/// SIG_IGN) are reset to the default in programs that exec stages start.
///
/// The handler only writes the signal's number to a pipe; a thread of its own reads it and
/// acts. Nothing depends on a Dispatch or cooperative-pool thread being free, so a signal
/// is acted on at once however busy the process is.
///
/// Not Sendable: created and cancelled by the command's task only.
final class SignalHandlers {
    static let hardExitAfter: Duration = .seconds(10)

    init(controller: RunController) {
        SignalRelay.shared.attach(controller)
    }

    func cancel() {
        SignalRelay.shared.detach()
    }
}

/// The process-wide end of the signal pipe.
private final class SignalRelay: Sendable {
    static let shared = SignalRelay()

    private let controller = Mutex<RunController?>(nil)
    private let received = Atomic<Int>(0)

    private init() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        signalPipeWriteEnd.store(fds[1], ordering: .relaxed)
        let readEnd = fds[0]
        let thread = Thread { [self] in self.listen(readEnd) }
        thread.name = "baton-signals"
        thread.start()
    }

    func attach(_ controller: RunController) {
        self.controller.withLock { $0 = controller }
        received.store(0, ordering: .relaxed)
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd.load(ordering: .relaxed), &byte, 1)
            }
        }
    }

    func detach() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        controller.withLock { $0 = nil }
    }

    private func listen(_ fd: Int32) {
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            handle(Int32(byte))
        }
    }

    private func handle(_ number: Int32) {
        let reason: RunController.StopReason = number == SIGINT ? .interrupt : .terminate
        let code: Int32 = number == SIGINT ? BatonExit.interrupted.rawValue : BatonExit.temporary.rawValue
        let count = received.add(1, ordering: .relaxed).newValue
        guard let controller = controller.withLock({ $0 }) else { return }
        let metadata: Logger.Metadata = ["signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")"]
        switch count {
        case 1:
            controller.requestStop(reason)
            LogSetup.message("stopping: no new items are claimed, in-flight items finish (signal again to abandon them)", metadata: metadata)
        case 2:
            controller.requestStop(reason)
            LogSetup.message("stopping now: in-flight items are abandoned and their leases released", metadata: metadata)
            let thread = Thread {
                Thread.sleep(forTimeInterval: Double(SignalHandlers.hardExitAfter.components.seconds))
                LogSetup.message("could not stop cleanly within \(SignalHandlers.hardExitAfter.components.seconds)s; exiting now (leases this process held expire on their own)",
                                 level: .error)
                _exit(code)
            }
            thread.start()
        default:
            LogSetup.message("exiting at once", level: .error)
            _exit(code)
        }
    }
}

/// The pipe's write end, for the C signal handler (which can capture nothing).
private let signalPipeWriteEnd = Atomic<Int32>(-1)
