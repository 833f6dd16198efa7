/// The loop thread's state: requests waiting for a transfer slot, transfers running on the
/// multi handle, and a small pool of idle easy handles to reuse.
///
/// Not `Sendable`: made, used and dropped on the loop thread of a ``CurlLoop``.
final class CurlDriver {
    private let multi: CurlMulti
    private let maxConcurrentTransfers: Int
    /// Accepted requests that wait for a free slot, in arrival order.
    private var queued: [CurlLoop.Submission] = []
    /// Running transfers by easy handle. Keeps each transfer alive while libcurl may call
    /// back into it.
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Idle easy handles, already reset.
    private var idle: [CurlEasy] = []

    init(multi: CurlMulti, maxConcurrentTransfers: Int) {
        self.multi = multi
        self.maxConcurrentTransfers = maxConcurrentTransfers
    }

    deinit {
        precondition(running.isEmpty && queued.isEmpty, "CurlDriver dropped with requests in flight")
    }

    func enqueue(_ submissions: [CurlLoop.Submission]) {
        queued.append(contentsOf: submissions)
    }

    /// Starts queued requests while there are free slots.
    func startQueued() {
        while running.count < maxConcurrentTransfers, !queued.isEmpty {
            start(queued.removeFirst())
        }
    }

    /// Does the ready I/O and completes the transfers that finished.
    func perform() {
        for (handle, code) in multi.perform() {
            guard let transfer = running[handle] else { continue }
            let result = transfer.result(code)
            finish(transfer, with: result)
        }
    }

    /// Waits for I/O, a timer or a wakeup; at most a second, so a lost wakeup costs little.
    func poll() -> Bool {
        multi.poll(timeoutMilliseconds: 1000)
    }

    /// Fails and removes the requests whose task was cancelled.
    func removeCancelled() {
        for transfer in running.values where transfer.ticket.isCancelled {
            finish(transfer, with: .failure(.cancelledByTask))
        }
        let cancelled = queued.filter { $0.ticket.isCancelled }
        queued.removeAll { $0.ticket.isCancelled }
        for submission in cancelled {
            submission.continuation.resume(returning: .failure(.cancelledByTask))
        }
    }

    /// Fails and removes every request, queued or running.
    func cancelAll(with error: HTTPError) {
        for transfer in running.values {
            finish(transfer, with: .failure(error))
        }
        let waiting = queued
        queued = []
        for submission in waiting {
            submission.continuation.resume(returning: .failure(error))
        }
    }

    private func start(_ submission: CurlLoop.Submission) {
        guard !submission.ticket.isCancelled else {
            return submission.continuation.resume(returning: .failure(.cancelledByTask))
        }
        guard let easy = idle.popLast() ?? CurlEasy() else {
            let error = HTTPError(code: .other, message: "curl_easy_init failed (out of memory)")
            return submission.continuation.resume(returning: .failure(error))
        }
        let transfer = CurlTransfer(easy: easy, submission: submission)
        do {
            try transfer.configure(submission.request)
            try multi.add(easy)
        } catch {
            recycle(transfer)
            return transfer.complete(.failure(error))
        }
        running[easy.raw] = transfer
    }

    /// Takes a running transfer off the multi handle and resumes its `send`.
    private func finish(_ transfer: CurlTransfer, with result: Result<HTTPResponse, HTTPError>) {
        running[transfer.easy.raw] = nil
        multi.remove(transfer.easy)
        recycle(transfer)
        transfer.complete(result)
    }

    /// Frees the transfer's header list and returns its easy handle, reset, to the pool.
    /// libcurl keeps no pointer into the transfer after this.
    private func recycle(_ transfer: CurlTransfer) {
        let resetOK = (try? transfer.easy.reset()) != nil
        transfer.headerList = nil
        if resetOK, idle.count < maxConcurrentTransfers {
            idle.append(transfer.easy)
        }
    }
}
