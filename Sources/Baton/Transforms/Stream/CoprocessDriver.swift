import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The thread-confined half of a ``Coprocess``: owns the child and its pipes; writes queued
/// items ahead up to the window, reads answers and stderr with `poll()`, enforces the
/// per-item timeout, restarts a failed child with backoff, and stops it on shutdown.
///
/// When a child fails (exits, hangs past the timeout, writes something that is not an
/// answer), the oldest unanswered item — the one it was working on — fails as transient and
/// the items written after it are sent again to the restarted child without using an
/// attempt. A child that failed before answering anything is broken whatever the item: then
/// every unanswered item fails.
final class CoprocessDriver {
    private enum Cause {
        case exited
        case timedOut
        case badOutput(String)
        case stopped
    }

    static let stopGrace: Duration = .seconds(2)
    static let maxRestartDelay: Duration = .seconds(5)
    /// Lines of a child's stderr kept for error messages (each at most `stderrLineLimit`).
    static let stderrTailLines = 3
    static let stderrLineLimit = 2_000
    static let answerLineLimit = 64 << 20

    private let coprocess: Coprocess
    private var settings: Coprocess.Settings { coprocess.settings }
    private var child: ChildProcess?
    /// Valid answers from the current child.
    private var answered = 0
    /// Bytes for the child's stdin, from `pendingOffset` on.
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var answers = LineSplitter(maxLine: CoprocessDriver.answerLineLimit)
    private var diagnostics = LineSplitter(maxLine: CoprocessDriver.stderrLineLimit)
    private var stderrTail: [String] = []
    private var consecutiveFailures = 0
    private var restartAt: ContinuousClock.Instant?
    private var lastAnswerAt = ContinuousClock.now
    /// Set while a child is being stopped: since when, and whether SIGTERM was sent.
    private var stopping: (since: ContinuousClock.Instant, terminated: Bool)?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
    private var stage = ""
    private var logger = Logger(label: "baton.exec")

    init(coprocess: Coprocess) {
        self.coprocess = coprocess
    }

    deinit { buffer.deallocate() }

    private var commandText: String { settings.command.joined(separator: " ") }

    func run() {
        ChildProcess.blockSIGPIPE()
        while true {
            let now = ContinuousClock.now
            let (queued, stopRequested) = coprocess.state.withLock { state in
                stage = state.stage
                logger = state.logger
                return (state.queue.count, state.stopRequested)
            }
            if stopRequested && child == nil {
                if finishThread() { return }
                continue
            }
            if stopRequested, let child, stopping == nil {
                child.closeStdin()
                pending = []
                pendingOffset = 0
                stopping = (now, false)
            }
            if let since = stopping?.since, now - since >= CoprocessDriver.stopGrace {
                if stopping?.terminated == true {
                    endChild(.stopped)
                    continue
                }
                child?.signalGroup(SIGTERM)
                stopping = (now, true)
            }
            if child == nil, queued > 0, !stopRequested, restartAt.map({ now >= $0 }) ?? true {
                startChild()
                continue
            }
            if child != nil, stopping == nil { takeWork() }
            let deadline = stopping == nil ? headDeadline() : nil
            if let deadline, ContinuousClock.now >= deadline {
                endChild(.timedOut)
                continue
            }

            var fds = [pollfd(fd: coprocess.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            var stdoutIndex = -1, stderrIndex = -1, stdinIndex = -1
            var wait: Duration?
            if let child {
                if child.stdout >= 0 {
                    stdoutIndex = fds.count
                    fds.append(pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0))
                }
                if child.stderr >= 0 {
                    stderrIndex = fds.count
                    fds.append(pollfd(fd: child.stderr, events: Int16(POLLIN), revents: 0))
                }
                if child.stdin >= 0, pendingOffset < pending.count {
                    stdinIndex = fds.count
                    fds.append(pollfd(fd: child.stdin, events: Int16(POLLOUT), revents: 0))
                }
                // Also wake now and then to notice a child that exited while a grandchild
                // keeps its stdout open.
                wait = .milliseconds(200)
                if let deadline { wait = min(wait!, deadline - now) }
                if let since = stopping?.since { wait = min(wait!, since + CoprocessDriver.stopGrace - now) }
            } else if queued > 0, let restartAt {
                wait = restartAt - now
            }
            let timeout: Int32 = wait.map { Int32(clamping: max(0, $0.milliseconds)) } ?? -1
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                fatalError("baton: poll failed: \(String(cString: strerror(errno)))")
            }
            if fds[0].revents != 0 { coprocess.drainWake() }
            if stdinIndex >= 0, fds[stdinIndex].revents != 0 { writePending() }
            var stdoutEnded = false
            if stdoutIndex >= 0, fds[stdoutIndex].revents != 0 { stdoutEnded = !readAnswers() }
            if stderrIndex >= 0, fds[stderrIndex].revents != 0, child != nil { readDiagnostics() }
            if let child, stdoutEnded || (ready == 0 && child.hasExited) {
                endChild(.exited)
            }
        }
    }

    // MARK: Writing

    /// Moves queued items to the in-flight list, up to the window, and writes them.
    private func takeWork() {
        let now = ContinuousClock.now
        let window = settings.window
        let lines = coprocess.state.withLock { state -> [UInt8] in
            var bytes: [UInt8] = []
            while state.inFlight.count < window, !state.queue.isEmpty {
                var request = state.queue.removeFirst()
                request.writtenAt = now
                bytes += request.line
                state.inFlight.append(request)
            }
            return bytes
        }
        guard !lines.isEmpty else { return }
        if pendingOffset >= pending.count {
            pending = lines
            pendingOffset = 0
        } else {
            pending += lines
        }
        writePending()
    }

    private func writePending() {
        guard let child, child.stdin >= 0 else { return }
        while pendingOffset < pending.count {
            let written = pending.withUnsafeBytes { bytes in
                write(child.stdin, bytes.baseAddress! + pendingOffset, bytes.count - pendingOffset)
            }
            if written > 0 {
                pendingOffset += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            // EPIPE: the child stopped reading. Its exit (or the timeout) ends it.
            ChildProcess.consumeSIGPIPE()
            child.closeStdin()
            break
        }
        pending.removeAll(keepingCapacity: true)
        pendingOffset = 0
    }

    // MARK: Reading

    /// Reads the child's answers; false at the end of its stdout (or once it was ended for a
    /// bad answer).
    private func readAnswers() -> Bool {
        guard let child, child.stdout >= 0 else { return false }
        for _ in 0..<16 {
            let count = read(child.stdout, buffer.baseAddress, buffer.count)
            if count > 0 {
                var lines: [LineSplitter.Line] = []
                answers.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { lines.append($0) }
                for line in lines where !answer(line) { return false }
                continue
            }
            if count == 0 {
                child.closeStdout()
                return false
            }
            if errno == EINTR { continue }
            return true
        }
        return true
    }

    /// Answers the oldest unanswered item with `line`; false if the line broke the protocol
    /// (the child was then ended).
    private func answer(_ line: LineSplitter.Line) -> Bool {
        let parsed = CoprocessAnswer.parse(line)
        if case .failure(let violation) = parsed {
            endChild(.badOutput(violation.reason))
            return false
        }
        let request = coprocess.state.withLock { state -> Coprocess.Request? in
            state.inFlight.isEmpty ? nil : state.inFlight.removeFirst()
        }
        guard let request else {
            endChild(.badOutput("more answer lines than items it was sent: \(line.text.prefix(120))"))
            return false
        }
        answered += 1
        consecutiveFailures = 0
        lastAnswerAt = .now
        guard let continuation = request.continuation else { return true }
        switch parsed {
        case .success(.items(let outputs)):
            continuation.resume(returning: .outputs(outputs))
        case .success(.error(let message, let permanent, let errorClass)):
            continuation.resume(throwing: StageError(isPermanent: permanent, errorClass: errorClass ?? "exec error",
                                                     message: "\(stage) \(request.key): \(message)"))
        case .failure:
            break
        }
        return true
    }

    private func readDiagnostics() {
        guard let child, child.stderr >= 0 else { return }
        for _ in 0..<16 {
            let count = read(child.stderr, buffer.baseAddress, buffer.count)
            if count > 0 {
                diagnostics.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { log($0, pid: child.pid) }
                continue
            }
            if count == 0 {
                child.closeStderr()
                if let rest = diagnostics.finish() { log(rest, pid: child.pid) }
                return
            }
            if errno == EINTR { continue }
            return
        }
    }

    /// One line of the child's stderr: to the log with the stage name, and kept (the last
    /// few) for the error messages of the items it fails.
    private func log(_ line: LineSplitter.Line, pid: pid_t) {
        let text = line.text + (line.truncated ? "…" : "")
        stderrTail.append(text)
        if stderrTail.count > CoprocessDriver.stderrTailLines { stderrTail.removeFirst() }
        logger.notice("\(stage): \(text)", metadata: ["stage.name": "\(stage)", "exec.pid": "\(pid)"])
    }

    // MARK: Children

    private func startChild() {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(settings.environment) { _, new in new }
        let runName = coprocess.state.withLock { $0.runName }
        environment["BATON_STAGE"] = stage
        environment["BATON_RUN"] = runName
        do {
            let started = try ChildProcess.spawn(command: settings.command, environment: environment,
                                                 workingDirectory: settings.workingDirectory)
            child = started
            answered = 0
            lastAnswerAt = .now
            stopping = nil
            logger.debug("started `\(commandText)`", metadata: ["stage.name": "\(stage)", "exec.pid": "\(started.pid)"])
        } catch {
            // Nothing can run the queued items now.
            failStart(isPermanent: error.isPermanent, problem: ": \(error.message)", logged: error.message)
        }
    }

    /// The program cannot be started: the items `waiting` and every queued one fail as
    /// `exec start`, each with "`command`" + `problem`; the log says "cannot start" + `logged`.
    private func failStart(_ waiting: [Coprocess.Request] = [], isPermanent: Bool, problem: String, logged: String) {
        noteFailure()
        let queued = coprocess.state.withLock { state -> [Coprocess.Request] in
            defer { state.queue = [] }
            return state.queue
        }
        for request in waiting + queued {
            request.continuation?.resume(throwing: StageError(
                isPermanent: isPermanent, errorClass: "exec start", message: "\(stage) \(request.key): `\(commandText)`\(problem)"))
        }
        logger.warning("cannot start `\(commandText)`: \(logged)", metadata: ["stage.name": "\(stage)"])
    }

    /// When the oldest unanswered item's time is up: its timeout counts from when it was
    /// written or the previous answer came, whichever is later; a new child's first answer
    /// has the start-up allowance on top.
    private func headDeadline() -> ContinuousClock.Instant? {
        guard let writtenAt = coprocess.state.withLock({ $0.inFlight.first?.writtenAt }) else { return nil }
        return max(writtenAt, lastAnswerAt) + settings.timeout + (answered == 0 ? settings.startTimeout : .zero)
    }

    private func endChild(_ reason: Cause) {
        guard let child else { return }
        let cause: Cause = stopping != nil ? .stopped : reason
        if case .exited = cause { child.waitForExit(upTo: .milliseconds(200)) }
        readDiagnostics()
        let ending = child.killGroupAndReap()
        if let rest = diagnostics.finish() { log(rest, pid: child.pid) }
        self.child = nil
        let tail = stderrTail.isEmpty ? "" : " (stderr: \(stderrTail.joined(separator: " / ")))"
        stderrTail = []
        answers.reset()
        pending = []
        pendingOffset = 0
        stopping = nil

        let inFlight = coprocess.state.withLock { state -> [Coprocess.Request] in
            defer { state.inFlight = [] }
            return state.inFlight
        }
        let shown = "`\(commandText)` (pid \(child.pid))"
        let limit = answered == 0 ? settings.timeout + settings.startTimeout : settings.timeout
        let error: (Coprocess.Request) -> StageError
        switch cause {
        case .stopped:
            error = { .transient("\(self.stage) \($0.key): the stage stopped before \(shown) answered", class: "exec stopped") }
        case .exited:
            error = { .transient("\(self.stage) \($0.key): \(shown) \(ending) before answering\(tail)", class: "exec exit") }
        case .timedOut:
            error = {
                .transient("\(self.stage) \($0.key): \(shown) did not answer within \(limit); its process group was killed\(tail)",
                           class: "exec timeout")
            }
        case .badOutput(let what):
            error = { .transient("\(self.stage) \($0.key): \(shown) answered with \(what) (\(CoprocessAnswer.expected))", class: "exec output") }
        }
        // Status 127 or 126 before any answer: the program could not be started (not found,
        // not executable). No attempt can help: every waiting item fails for good, as
        // `exec start` (it was retried as a transient `exec exit` before).
        if case .exited = cause, answered == 0, case .exited(let status) = ending, status == 126 || status == 127 {
            let why = "\(status == 127 ? "not found" : "not executable") (status \(status))\(tail)"
            failStart(inFlight, isPermanent: true, problem: " cannot be started: \(why)", logged: why)
            return
        }
        let failAll: Bool
        if case .stopped = cause { failAll = true } else { failAll = answered == 0 }
        let failing = failAll ? inFlight : Array(inFlight.prefix(1))
        let resent = failAll ? [] : inFlight.dropFirst().filter { $0.continuation != nil }
        if !resent.isEmpty {
            coprocess.state.withLock { $0.queue.insert(contentsOf: resent, at: 0) }
        }
        for request in failing { request.continuation?.resume(throwing: error(request)) }
        if case .stopped = cause { return }
        let delay = noteFailure()
        var what = "item \(failing.first?.key ?? "?") failed"
        if failing.count > 1 { what = "\(failing.count) unanswered items failed" }
        if !resent.isEmpty { what += ", \(resent.count) sent again" }
        let why: String
        switch cause {
        case .timedOut: why = "did not answer within \(answered == 0 ? settings.timeout + settings.startTimeout : settings.timeout)"
        case .badOutput(let text): why = "answered with \(text)"
        default: why = "\(ending)"
        }
        logger.warning("\(shown) \(why)\(tail); restarting it in \(delay) (\(failing.isEmpty ? "no item was waiting" : what))",
                       metadata: ["stage.name": "\(stage)"])
    }

    /// Counts a failed child; returns the delay before the next start.
    @discardableResult
    private func noteFailure() -> Duration {
        consecutiveFailures += 1
        let seconds = min(0.1 * pow(2, Double(min(consecutiveFailures - 1, 20))), CoprocessDriver.maxRestartDelay.seconds)
        let delay = Duration.milliseconds(Int64(seconds * 1000))
        restartAt = .now + delay
        return delay
    }

    /// Ends the thread if the stop is still wanted; false when new items came meanwhile.
    private func finishThread() -> Bool {
        let finished = coprocess.state.withLock { state -> (waiters: [CheckedContinuation<Void, Never>], queued: [Coprocess.Request])? in
            guard state.stopRequested else { return nil }
            state.threadRunning = false
            defer {
                state.stopWaiters = []
                state.queue = []
            }
            return (state.stopWaiters, state.queue)
        }
        guard let finished else { return false }
        for request in finished.queued {
            request.continuation?.resume(throwing: StageError.transient("\(stage) \(request.key): the stage stopped", class: "exec stopped"))
        }
        for waiter in finished.waiters { waiter.resume() }
        return true
    }
}
