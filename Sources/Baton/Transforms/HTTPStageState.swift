import BatonHTTP
import Foundation
import Synchronization

/// What one `http` stage shares across all the workers of a process: its client (curl multi
/// handle and connection cache), and its count of consecutive failures.
final class HTTPStageState: Sendable {
    private let maxTransfers: Int
    private let clientBox = Mutex<HTTPClient?>(nil)
    private let groupBox = Mutex<HTTPTransferGroup?>(nil)
    private let consecutiveFailures = Atomic<Int>(0)
    private let tripped = Atomic<Bool>(false)
    let failureBudget: Int?

    init(maxTransfers: Int, failureBudget: Int?) {
        self.maxTransfers = maxTransfers
        self.failureBudget = failureBudget
    }

    /// The client, created on first use (validating a pipeline starts no thread).
    var client: HTTPClient {
        clientBox.withLock { box in
            if let client = box { return client }
            let client = HTTPClient(maxConcurrentTransfers: maxTransfers)
            box = client
            return client
        }
    }

    /// The stage's requests in this process, at most `limit` at once (the stage's
    /// `concurrency`; the first caller's limit is kept).
    func group(limit: Int) -> HTTPTransferGroup {
        groupBox.withLock { box in
            if let group = box { return group }
            let group = HTTPTransferGroup(limit: limit)
            box = group
            return group
        }
    }

    /// True once the stage has used up its failure budget (for the rest of the process).
    var isTripped: Bool { tripped.load(ordering: .relaxed) }

    func recordSuccess() { consecutiveFailures.store(0, ordering: .relaxed) }

    /// Counts a failed request; returns true if this failure used up the budget.
    func recordFailure() -> Bool {
        let count = consecutiveFailures.add(1, ordering: .relaxed).newValue
        guard let failureBudget, count >= failureBudget else { return false }
        return !tripped.exchange(true, ordering: .relaxed)
    }
}
