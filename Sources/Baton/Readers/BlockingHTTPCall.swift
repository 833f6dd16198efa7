import BatonHTTP
import Foundation
import Synchronization

/// Sends one request from a thread that may block (the seeder's own thread), waiting for the
/// async client: the request runs in a task, this thread sleeps on a semaphore. Nothing
/// blocks the cooperative pool. `shouldStop` is checked every 100 ms; once it says yes the
/// request is cancelled.
enum BlockingHTTPCall {
    /// The response, or the client's error (`.cancelled` when stopped).
    static func send(_ request: HTTPRequest, client: HTTPClient, rate: Double?, shouldStop: @Sendable () -> Bool)
        -> Result<HTTPResponse, HTTPError>
    {
        let box = ResultBox()
        let task = Task {
            if let rate { try? await HostRateLimiter.wait(host: HTTPOutcome.host(of: request.url), perSecond: rate) }
            let result: Result<HTTPResponse, HTTPError>
            do throws(HTTPError) {
                result = .success(try await client.send(request))
            } catch {
                result = .failure(error)
            }
            box.finish(result)
        }
        while !box.wait(milliseconds: 100) {
            if shouldStop() { task.cancel() }
        }
        return box.result!
    }

    /// Sleeps `duration` on this thread, waking every 100 ms to check `shouldStop`; false
    /// when it stopped early.
    static func sleep(_ duration: Duration, shouldStop: @Sendable () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if shouldStop() { return false }
            Thread.sleep(forTimeInterval: min(0.1, max(0, (deadline - ContinuousClock.now).seconds)))
        }
        return !shouldStop()
    }

    private final class ResultBox: Sendable {
        private let value = Mutex<Result<HTTPResponse, HTTPError>?>(nil)
        private let done = DispatchSemaphore(value: 0)

        func finish(_ result: Result<HTTPResponse, HTTPError>) {
            value.withLock { $0 = result }
            done.signal()
        }

        func wait(milliseconds: Int) -> Bool { done.wait(timeout: .now() + .milliseconds(milliseconds)) == .success }

        var result: Result<HTTPResponse, HTTPError>? { value.withLock { $0 } }
    }
}
