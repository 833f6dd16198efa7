import BatonHTTP
import BatonTestSupport
import Testing

@Suite("HTTPClient: concurrency, reuse, cancellation")
struct HTTPClientConcurrencyTests {
    let client = HTTPClient(maxConcurrentTransfers: 64)

    @Test func manyConcurrentRequestsCompleteOverFewConnections() async throws {
        let server = try TestHTTPServer.start { request in .text("item \(request.path.dropFirst())") }
        defer { server.stop() }
        let total = 200
        let inFlight = 64

        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var bodies: [Int: String] = [:]
            for index in 0..<total {
                if index >= inFlight, let (done, body) = try await group.next() {
                    bodies[done] = body
                }
                group.addTask {
                    let response = try await client.send(HTTPRequest(url: "\(server.baseURL)/\(index)"))
                    return (index, String(decoding: response.body, as: UTF8.self))
                }
            }
            for try await (done, body) in group {
                bodies[done] = body
            }
            return bodies
        }

        #expect(bodies.count == total)
        #expect((0..<total).allSatisfy { bodies[$0] == "item \($0)" })
        #expect(server.requestCount == total)
        #expect(server.connectionCount <= inFlight)
        #expect(server.connectionCount < total / 2, "connections are kept alive and reused")
    }

    @Test func sequentialRequestsShareOneConnection() async throws {
        let calls = TestHTTPServer.LockedBox(0)
        let server = try TestHTTPServer.start { _ in
            calls.withLock { $0 += 1; return $0 } == 1 ? .text("try again", status: 503) : .text("ok")
        }
        defer { server.stop() }

        var statuses: [Int] = []
        for _ in 0..<5 {
            statuses.append(try await client.send(HTTPRequest(url: "\(server.baseURL)/")).status)
        }

        #expect(statuses == [503, 200, 200, 200, 200])
        #expect(calls.value == 5)
        #expect(server.connectionCount == 1)
        #expect(Set(server.requests.map(\.connection)) == [1])
    }

    @Test func cancellingTheTaskAbortsTheTransferPromptly() async throws {
        // Hangs for a minute; returning long before proves the cancellation, with room for a
        // loaded machine.
        let server = try TestHTTPServer.start { _ in .hang(.seconds(60)) }
        defer { server.stop() }
        let task = Task { try await client.send(HTTPRequest(url: "\(server.baseURL)/slow")) }
        try await waitUntil { server.requestCount == 1 }
        let cancelled = ContinuousClock.now

        task.cancel()
        let result = await task.result

        #expect(ContinuousClock.now - cancelled < .seconds(20))
        #expect(throws: HTTPError.self) { try result.get() }
        let error = try #require(result.failure as? HTTPError)
        #expect(error.code == .cancelled)
        // The transfer is gone: curl closed the connection the server was hanging on.
        try await waitUntil(timeout: .seconds(20)) { server.openConnectionCount == 0 }
    }

    @Test func alreadyCancelledTaskSendsNothing() async throws {
        let server = try TestHTTPServer.start { _ in .text("ok") }
        defer { server.stop() }

        let result = await withTaskGroup(of: Result<HTTPResponse, HTTPError>.self) { group in
            group.cancelAll()
            group.addTask {
                do throws(HTTPError) {
                    return .success(try await client.send(HTTPRequest(url: server.baseURL)))
                } catch {
                    return .failure(error)
                }
            }
            return await group.next()!
        }

        #expect(result.failure?.code == .cancelled)
        #expect(server.requestCount == 0)
    }

    @Test func shutdownFailsRequestsInFlightAndLaterOnes() async throws {
        let server = try TestHTTPServer.start { _ in .hang(.seconds(10)) }
        defer { server.stop() }
        let task = Task { try await client.send(HTTPRequest(url: "\(server.baseURL)/slow")) }
        try await waitUntil { server.requestCount == 1 }

        client.shutdown()
        let result = await task.result
        let later = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: server.baseURL))
        }

        #expect((result.failure as? HTTPError)?.code == .cancelled)
        #expect(later.code == .cancelled)
        #expect(server.requestCount == 1)
        client.shutdown()  // idempotent
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
