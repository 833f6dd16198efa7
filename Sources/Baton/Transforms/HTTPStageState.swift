import BatonHTTP
import Foundation
import Synchronization

/// What one `http` stage shares across the workers of a run in a process: its client (curl
/// multi handle and connection cache), its requests' cap and its failure budget.
final class HTTPStageState: Sendable {
    private let maxTransfers: Int
    private let clientBox = Mutex<HTTPClient?>(nil)
    /// What the libcurl thread's callbacks touch: never the client itself (releasing the last
    /// reference to a client on its own thread would wait for that thread to end).
    let budget: HTTPFailureBudget

    init(maxTransfers: Int, failureBudget: Int?) {
        self.maxTransfers = maxTransfers
        budget = HTTPFailureBudget(limit: failureBudget)
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

}

/// An http stage's count of consecutive failed requests, and the group of its requests,
/// which is closed (nothing more is sent) when the count reaches the stage's `failure_budget`.
final class HTTPFailureBudget: Sendable {
    let limit: Int?
    private let consecutiveFailures = Atomic<Int>(0)
    private let tripped = Atomic<Bool>(false)
    private let groupBox = Mutex<HTTPTransferGroup?>(nil)

    init(limit: Int?) {
        self.limit = limit
    }

    /// The stage's requests in this process, at most `limit` at once (the stage's
    /// `concurrency`; the first caller's limit is kept). Closed already if the budget is used up.
    func group(limit: Int) -> HTTPTransferGroup {
        groupBox.withLock { box in
            if let group = box { return group }
            let group = HTTPTransferGroup(limit: limit)
            if isTripped { group.close() }
            box = group
            return group
        }
    }

    /// True once the stage has used up its failure budget (for the rest of the process).
    var isTripped: Bool { tripped.load(ordering: .relaxed) }

    func recordSuccess() { consecutiveFailures.store(0, ordering: .relaxed) }

    /// Counts a failed request; returns true if this failure used up the budget (which also
    /// closes the stage's request group).
    func recordFailure() -> Bool {
        let count = consecutiveFailures.add(1, ordering: .relaxed).newValue
        guard let limit, count >= limit else { return false }
        guard !tripped.exchange(true, ordering: .relaxed) else { return false }
        groupBox.withLock { $0?.close() }
        return true
    }
}
