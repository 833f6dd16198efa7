internal import Synchronization

/// Sends HTTP requests with libcurl, many at once, on one dedicated thread.
///
/// One client owns one libcurl multi handle, driven by its own thread: requests from any
/// number of tasks share it (no thread per request) and share its connection cache, so
/// connections are reused between requests. Make one client and keep it.
///
/// ```swift
/// let client = HTTPClient()
/// let response = try await client.send(HTTPRequest(url: "https://example.com/items/1"))
/// ```
public final class HTTPClient: Sendable {
    private let loop: CurlLoop

    /// - Parameter maxConcurrentTransfers: how many transfers run at once; more wait in
    ///   line (their timeouts start when they run). Also the number of idle connections
    ///   kept open for reuse.
    public init(maxConcurrentTransfers: Int = 64) {
        precondition(maxConcurrentTransfers > 0, "maxConcurrentTransfers must be positive")
        loop = CurlLoop(maxConcurrentTransfers: maxConcurrentTransfers)
    }

    deinit {
        loop.shutdown()
    }

    /// Sends `request` and returns the response, whatever its status.
    ///
    /// Cancelling the calling task aborts the transfer promptly and throws `.cancelled`.
    /// - Throws: ``HTTPError`` when there is no complete response.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        try await send(all: [request])[0].get()
    }

    /// Sends every request of `requests`, at most `group.limit` of them (and of the other
    /// requests of `group`) at once, and returns their outcomes in the same order, once all
    /// are known. One wakeup of the client's thread for all of them and one resumption of
    /// the caller, however many there are.
    ///
    /// `onEach` hears each outcome as it comes, on the client's thread (it must return at
    /// once; it may close `group`, which fails the group's requests not yet started with a
    /// `.cancelled` error saying so). `shouldStart` is asked when each request's turn to start
    /// comes, on the client's thread; false fails it `.notSent`, unsent (a stopping caller's
    /// requests not yet started; those running finish). Cancelling the calling task aborts
    /// every transfer.
    public func send(all requests: [HTTPRequest], group: HTTPTransferGroup? = nil, shouldStart: (@Sendable () -> Bool)? = nil,
                     onEach: (@Sendable (Int, Result<HTTPResponse, HTTPError>) -> Void)? = nil) async -> [Result<HTTPResponse, HTTPError>] {
        guard !requests.isEmpty else { return [] }
        let tickets = requests.map { _ in CurlLoop.Ticket() }
        let outcomes = OutcomeCollector(count: requests.count)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                outcomes.waiting(continuation)
                loop.submit(requests.indices.map { index in
                    CurlLoop.Submission(request: requests[index], ticket: tickets[index], group: group, shouldStart: shouldStart) { result in
                        onEach?(index, result)
                        outcomes.deliver(result, at: index)
                    }
                })
            }
        } onCancel: {
            loop.cancel(tickets)
        }
    }

    /// Stops the client's thread and closes its connections. Requests in flight fail with
    /// `.cancelled`, and so does every later `send`. Returns when the thread has stopped.
    /// Idempotent; also done when the client is released.
    public func shutdown() {
        loop.shutdown()
    }
}

/// Requests that share a cap on how many of them run at once, whoever sends them (an http
/// stage's `concurrency` across all the workers of a process). Use a group with one client.
public final class HTTPTransferGroup: @unchecked Sendable {
    /// At most this many of the group's requests run at once.
    public let limit: Int
    private let closed = Atomic(false)
    /// The group's running transfers. `@unchecked Sendable`: counted only on the thread of
    /// the client the group is used with.
    var running = 0

    /// A group of at most `limit` (at least 1) requests at once.
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// True once ``close()`` was called.
    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// From now on the group's requests not yet started fail, unsent. For good.
    public func close() { closed.store(true, ordering: .releasing) }
}

/// The outcomes of one ``HTTPClient/send(all:group:onEach:)``, filled in by the client's
/// thread; resumes the caller when the last one arrives.
private final class OutcomeCollector: Sendable {
    private struct State {
        var outcomes: [Result<HTTPResponse, HTTPError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<HTTPResponse, HTTPError>], Never>?
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(outcomes: Array(repeating: nil, count: count), remaining: count))
    }

    func waiting(_ continuation: CheckedContinuation<[Result<HTTPResponse, HTTPError>], Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func deliver(_ outcome: Result<HTTPResponse, HTTPError>, at index: Int) {
        let finished = state.withLock { state -> (CheckedContinuation<[Result<HTTPResponse, HTTPError>], Never>, [Result<HTTPResponse, HTTPError>])? in
            guard state.outcomes[index] == nil else { return nil }
            state.outcomes[index] = outcome
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.outcomes.map { $0! })
        }
        if let (continuation, outcomes) = finished { continuation.resume(returning: outcomes) }
    }
}
