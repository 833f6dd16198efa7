import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One run of a child to its end (an `exec` stage in `mode: once`): the input written to its
/// stdin, its stdout and the tail of its stderr collected, on a thread of its own (the
/// child's guardian is tied to the thread that started it, and no blocking call runs on
/// Swift's cooperative pool). Past the timeout the child's process group gets SIGTERM, then
/// SIGKILL two seconds later; a cancelled task kills it at once. Whatever the child started
/// is killed when it ends.
struct ChildRun {
    enum Outcome {
        case finished(ChildProcess.Ending)
        case timedOut
    }

    var outcome: Outcome
    var stdout: [UInt8]
    /// The last 64 KiB the child wrote on stderr.
    var stderrTail: [UInt8]

    static let stderrLimit = 64 * 1024

    /// Throws ``ChildProcess/SpawnError`` when the child cannot start, ``CancellationError``
    /// when the task was cancelled.
    static func run(command: [String], environment: [String: String], workingDirectory: String?,
                    input: [UInt8], timeout: Duration) async throws -> ChildRun {
        let cancelled = CancelFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ChildRun, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result {
                        try runBlocking(command: command, environment: environment, workingDirectory: workingDirectory,
                                        input: input, timeout: timeout, cancelled: cancelled)
                    })
                }
                thread.stackSize = 1 << 20
                thread.name = "baton-exec-once"
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    final class CancelFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    private static func runBlocking(command: [String], environment: [String: String], workingDirectory: String?,
                                    input: [UInt8], timeout: Duration, cancelled: CancelFlag) throws -> ChildRun {
        ChildProcess.blockSIGPIPE()
        let child = try ChildProcess.spawn(command: command, environment: environment, workingDirectory: workingDirectory)
        let deadline = ContinuousClock.now + timeout
        var written = 0
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        if input.isEmpty { child.closeStdin() }
        var exitedAt: ContinuousClock.Instant?
        // Until the child closed stdout and stderr (usually: it exited) and has exited. A
        // program that has exited is done: what it left running in the background (holding
        // its stdout open) gets 200 ms for the last output, then the group is killed. It once
        // held the item until the timeout, and a success was retried as `exec timeout`.
        while child.stdout >= 0 || child.stderr >= 0 || !child.hasExited {
            if child.hasExited {
                exitedAt = exitedAt ?? ContinuousClock.now
                if ContinuousClock.now - exitedAt! > .milliseconds(200) { break }
            }
            if cancelled.isSet {
                child.killGroupAndReap()
                throw CancellationError()
            }
            let now = ContinuousClock.now
            if now >= deadline {
                child.signalGroup(SIGTERM)
                child.waitForExit(upTo: .seconds(2))
                child.killGroupAndReap()
                return ChildRun(outcome: .timedOut, stdout: stdout, stderrTail: stderr)
            }
            var fds: [pollfd] = []
            if child.stdin >= 0 { fds.append(pollfd(fd: child.stdin, events: Int16(POLLOUT), revents: 0)) }
            if child.stdout >= 0 { fds.append(pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0)) }
            if child.stderr >= 0 { fds.append(pollfd(fd: child.stderr, events: Int16(POLLIN), revents: 0)) }
            let wait = min(50, max(1, Int32((deadline - now).milliseconds)))
            if fds.isEmpty {
                // Both outputs closed, the child not yet gone.
                usleep(UInt32(min(wait, 5)) * 1000)
                continue
            }
            if poll(&fds, nfds_t(fds.count), wait) < 0 && errno != EINTR {
                child.killGroupAndReap()
                throw ChildProcess.SpawnError(message: "poll failed: \(String(cString: strerror(errno)))", isPermanent: false)
            }
            for fd in fds where fd.revents != 0 {
                if fd.fd == child.stdin {
                    let sent = input.withUnsafeBytes { write(fd.fd, $0.baseAddress! + written, $0.count - written) }
                    if sent > 0 { written += sent }
                    if written == input.count || (sent < 0 && errno != EAGAIN && errno != EINTR) {
                        // All written, or EPIPE (the child does not read its input): end of file.
                        if sent < 0 { ChildProcess.consumeSIGPIPE() }
                        child.closeStdin()
                    }
                } else {
                    let got = read(fd.fd, &chunk, chunk.count)
                    if got > 0 {
                        if fd.fd == child.stdout {
                            stdout.append(contentsOf: chunk[0..<got])
                        } else {
                            stderr.append(contentsOf: chunk[0..<got])
                            if stderr.count > 2 * stderrLimit { stderr.removeFirst(stderr.count - stderrLimit) }
                        }
                    } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                        if fd.fd == child.stdout { child.closeStdout() } else { child.closeStderr() }
                    }
                }
            }
        }
        let ending = child.killGroupAndReap()
        return ChildRun(outcome: .finished(ending), stdout: stdout, stderrTail: Array(stderr.suffix(stderrLimit)))
    }
}
