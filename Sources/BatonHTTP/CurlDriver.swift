/// The loop thread's state: requests waiting for a transfer slot, transfers running on the
/// multi handle, and a small pool of idle easy handles to reuse.
///
/// Not `Sendable`: made, used and dropped on the loop thread of a ``CurlLoop``.
final class CurlDriver {
    private let multi: CurlMulti
    private let maxConcurrentTransfers: Int
    /// Accepted requests that wait for a free slot: one line per transfer group (requests
    /// without a group in the first), each in arrival order.
    private var lines: [Line] = [Line(group: nil)]
    /// Running transfers by easy handle. Keeps each transfer alive while libcurl may call
    /// back into it.
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Idle easy handles: reset, or set up for requests like their last (``CurlEasy/profile``).
    private var idle: [CurlEasy] = []

    init(multi: CurlMulti, maxConcurrentTransfers: Int) {
        self.multi = multi
        self.maxConcurrentTransfers = maxConcurrentTransfers
    }

    deinit {
        precondition(running.isEmpty && lines.allSatisfy(\.isEmpty), "CurlDriver dropped with requests in flight")
    }

    /// The requests of one group (or of none) waiting for a slot, first in first out.
    private struct Line {
        let group: HTTPTransferGroup?
        private var items: [CurlLoop.Submission] = []
        private var head = 0

        init(group: HTTPTransferGroup?) { self.group = group }

        var isEmpty: Bool { head == items.count }

        mutating func append(_ submission: CurlLoop.Submission) { items.append(submission) }

        mutating func popFirst() -> CurlLoop.Submission? {
            guard head < items.count else { return nil }
            let first = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                items.removeFirst(head)
                head = 0
            }
            return first
        }

        /// Takes out (and returns) every waiting request `predicate` accepts.
        mutating func removeAll(where predicate: (CurlLoop.Submission) -> Bool) -> [CurlLoop.Submission] {
            var kept: [CurlLoop.Submission] = []
            var taken: [CurlLoop.Submission] = []
            for submission in items[head...] {
                if predicate(submission) { taken.append(submission) } else { kept.append(submission) }
            }
            items = kept
            head = 0
            return taken
        }
    }

    func enqueue(_ submissions: [CurlLoop.Submission]) {
        for submission in submissions {
            guard let group = submission.group else {
                lines[0].append(submission)
                continue
            }
            if let index = lines.firstIndex(where: { $0.group === group }) {
                lines[index].append(submission)
            } else {
                var line = Line(group: group)
                line.append(submission)
                lines.append(line)
            }
        }
    }

    /// Starts waiting requests while there are free slots: those without a group first, then
    /// each group's while it is under its cap (a full group holds up no other). Fails the
    /// waiting requests of a closed group; drops lines left empty by a group.
    func startQueued() {
        var index = 0
        while index < lines.count {
            let group = lines[index].group
            while running.count < maxConcurrentTransfers, group.map({ $0.isClosed || $0.running < $0.limit }) ?? true,
                  let submission = lines[index].popFirst() {
                if group?.isClosed == true {
                    submission.complete(.failure(.groupClosed))
                } else {
                    start(submission)
                }
            }
            if index > 0 && lines[index].isEmpty {
                lines.remove(at: index)
            } else {
                index += 1
            }
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
        for index in lines.indices {
            for submission in lines[index].removeAll(where: { $0.ticket.isCancelled }) {
                submission.complete(.failure(.cancelledByTask))
            }
        }
    }

    /// Fails and removes every request, queued or running.
    func cancelAll(with error: HTTPError) {
        for transfer in running.values {
            finish(transfer, with: .failure(error))
        }
        let waiting = lines
        lines = [Line(group: nil)]
        for var line in waiting {
            for submission in line.removeAll(where: { _ in true }) {
                submission.complete(.failure(error))
            }
        }
    }

    private func start(_ submission: CurlLoop.Submission) {
        guard !submission.ticket.isCancelled else {
            return submission.complete(.failure(.cancelledByTask))
        }
        if let shouldStart = submission.shouldStart, !shouldStart() {
            return submission.complete(.failure(.notStarted))
        }
        guard let easy = idle.popLast() ?? CurlEasy() else {
            let error = HTTPError(code: .other, message: "curl_easy_init failed (out of memory)")
            return submission.complete(.failure(error))
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
        transfer.group?.running += 1
    }

    /// Takes a running transfer off the multi handle and resumes its `send`.
    private func finish(_ transfer: CurlTransfer, with result: Result<HTTPResponse, HTTPError>) {
        running[transfer.easy.raw] = nil
        transfer.group?.running -= 1
        multi.remove(transfer.easy)
        // A handle whose transfer got an answer keeps its options for the next request like
        // it (``CurlEasy/profile``); any other is reset.
        recycle(transfer, keepingOptions: (try? result.get()) != nil)
        transfer.complete(result)
    }

    /// Returns the transfer's easy handle to the pool, reset unless `keepingOptions`. libcurl
    /// calls no callback of an idle handle, and the next transfer sets its own context.
    private func recycle(_ transfer: CurlTransfer, keepingOptions: Bool = false) {
        let ready = keepingOptions || (try? transfer.easy.reset()) != nil
        if ready, idle.count < maxConcurrentTransfers {
            idle.append(transfer.easy)
        }
    }
}
