internal import Dispatch
internal import Foundation
internal import Synchronization

/// One libcurl multi handle driven by one dedicated thread (not Swift's cooperative pool).
///
/// Other threads talk to the loop only through ``inbox`` (under its lock) and
/// ``CurlMulti/wakeup()``; the multi handle, the easy handles and the transfers live on the
/// loop thread, in a ``CurlDriver``.
final class CurlLoop: Sendable {
    typealias Continuation = CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>

    /// A request waiting for the loop thread to pick it up.
    struct Submission: Sendable {
        let request: HTTPRequest
        let ticket: Ticket
        let continuation: Continuation
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

    /// Hands `submission` to the loop thread, or fails it at once after ``shutdown()``.
    func submit(_ submission: Submission) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.isShutDown else { return false }
            inbox.submissions.append(submission)
            return true
        }
        if accepted {
            multi.wakeup()
        } else {
            submission.continuation.resume(returning: .failure(.shutDown))
        }
    }

    /// Cancels the transfer of `ticket`, wherever it is: not yet picked up, queued or running.
    func cancel(_ ticket: Ticket) {
        ticket.cancel()
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
            if !driver.poll() {
                driver.cancelAll(with: HTTPError(code: .other, message: "curl_multi_poll failed"))
            }
        }
    }
}

extension HTTPError {
    static let shutDown = HTTPError(code: .cancelled, message: "the HTTP client was shut down")
    static let cancelledByTask = HTTPError(code: .cancelled, message: "the request's task was cancelled")
}
