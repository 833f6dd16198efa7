internal import Dispatch
internal import Foundation
internal import Synchronization

/// One libcurl multi handle driven by one dedicated thread (not Swift's cooperative pool).
///
/// Other threads talk to the loop only through ``inbox`` (under its lock) and
/// ``CurlMulti/wakeup()``; the multi handle, the easy handles and the transfers live on the
/// loop thread, in a ``CurlDriver``.
final class CurlLoop: Sendable {
    /// Receives a request's outcome, once, on the loop thread: it must return quickly.
    typealias Completion = @Sendable (Result<HTTPResponse, HTTPError>) -> Void

    /// A request waiting for the loop thread to pick it up.
    struct Submission: Sendable {
        let request: HTTPRequest
        let ticket: Ticket
        /// Caps how many of its requests run at once (nil: only the client's cap).
        let group: HTTPTransferGroup?
        /// Asked when the request's turn to start comes; false: it fails `notStarted`, unsent.
        var shouldStart: (@Sendable () -> Bool)? = nil
        let complete: Completion
    }

    /// Marks one `send` as cancelled; checked by the loop thread.
    final class Ticket: Sendable {
        private let cancelled = Atomic(false)
        var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
        func cancel() { cancelled.store(true, ordering: .releasing) }
    }

    private struct Inbox {
        var submissions: [Submission] = []
        /// Some ticket was cancelled since the loop last looked.
        var cancellations = false
        var isShutDown = false
    }

    private let multi: CurlMulti
    private let inbox = Mutex(Inbox())
    private let maxConcurrentTransfers: Int
    /// Entered when the thread starts, left when it has finished.
    private let finished = DispatchGroup()

    init(maxConcurrentTransfers: Int) {
        self.maxConcurrentTransfers = maxConcurrentTransfers
        multi = CurlMulti(maxConnections: maxConcurrentTransfers)
        finished.enter()
        let thread = Thread { [self] in
            run()
            finished.leave()
        }
        thread.name = "baton-curl"
        thread.start()
    }

    /// Hands `submissions` to the loop thread (one wakeup for all), or fails them at once
    /// after ``shutdown()``.
    func submit(_ submissions: [Submission]) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.isShutDown else { return false }
            inbox.submissions.append(contentsOf: submissions)
            return true
        }
        if accepted {
            multi.wakeup()
        } else {
            for submission in submissions { submission.complete(.failure(.shutDown)) }
        }
    }

    /// Cancels the transfers of `tickets`, wherever they are: not yet picked up, queued or
    /// running.
    func cancel(_ tickets: [Ticket]) {
        for ticket in tickets { ticket.cancel() }
        inbox.withLock { $0.cancellations = true }
        multi.wakeup()
    }

    /// Stops the loop thread, failing every request in flight with `.cancelled`, and waits
    /// until the thread has finished. Idempotent. Must not be called on the loop thread
    /// (it never is: the loop runs only libcurl and this file's code).
    func shutdown() {
        inbox.withLock { $0.isShutDown = true }
        multi.wakeup()
        finished.wait()
    }

    private func run() {
        let driver = CurlDriver(multi: multi, maxConcurrentTransfers: maxConcurrentTransfers)
        while true {
            let (submissions, cancellations, isShutDown) = inbox.withLock { inbox in
                defer {
                    inbox.submissions = []
                    inbox.cancellations = false
                }
                return (inbox.submissions, inbox.cancellations, inbox.isShutDown)
            }
            driver.enqueue(submissions)
            if isShutDown {
                // submit() now refuses new work; everything accepted before is in the driver.
                driver.cancelAll(with: .shutDown)
                return
            }
            if cancellations {
                driver.removeCancelled()
            }
            driver.startQueued()
            driver.perform()
            // Transfers that just finished freed slots: fill them before waiting (a request
            // queued behind its group's cap has nobody else to wake the loop).
            driver.startQueued()
            if !driver.poll() {
                driver.cancelAll(with: HTTPError(code: .other, message: "curl_multi_poll failed"))
            }
        }
    }
}

extension HTTPError {
    static let shutDown = HTTPError(code: .cancelled, message: "the HTTP client was shut down")
    static let cancelledByTask = HTTPError(code: .cancelled, message: "the request's task was cancelled")
    static let groupClosed = HTTPError(code: .cancelled, message: "the request was not sent: its transfer group was closed")
    static let notStarted = HTTPError(code: .notSent, message: "the request was not sent: its caller stopped starting requests")
}
