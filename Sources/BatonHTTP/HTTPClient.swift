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
        let ticket = CurlLoop.Ticket()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.submit(CurlLoop.Submission(request: request, ticket: ticket, continuation: continuation))
            }
        } onCancel: {
            loop.cancel(ticket)
        }
        return try result.get()
    }

    /// Stops the client's thread and closes its connections. Requests in flight fail with
    /// `.cancelled`, and so does every later `send`. Returns when the thread has stopped.
    /// Idempotent; also done when the client is released.
    public func shutdown() {
        loop.shutdown()
    }
}
