import BatonHTTP
import BatonTestSupport
import Testing

@Suite("HTTPClient: failures")
struct HTTPClientFailureTests {
    let client = HTTPClient()

    @Test func hangPastTheTimeoutThrowsTimeoutQuickly() async throws {
        // The server would hang for a minute: finishing well before shows the timeout cut it
        // short (bounds are loose on purpose: a loaded machine must not fail this test).
        let server = try TestHTTPServer.start { _ in .hang(.seconds(60)) }
        defer { server.stop() }
        var request = HTTPRequest(url: "\(server.baseURL)/slow")
        request.timeout = .milliseconds(500)
        let start = ContinuousClock.now

        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }

        let elapsed = ContinuousClock.now - start
        #expect(error.code == .timeout)
        #expect(error.isTransient)
        #expect(error.curlCode == 28)
        #expect(elapsed >= .milliseconds(450))
        #expect(elapsed < .seconds(30))
    }

    @Test func connectionResetIsATransientError() async throws {
        let server = try TestHTTPServer.start { _ in .reset }
        defer { server.stop() }

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "\(server.baseURL)/reset"))
        }

        #expect(error.code == .connectionReset)
        #expect(error.isTransient)
    }

    @Test func closeWithoutAnswerIsConnectionReset() async throws {
        let server = try TestHTTPServer.start { _ in .close }
        defer { server.stop() }

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "\(server.baseURL)/"))
        }

        #expect(error.code == .connectionReset)
        #expect(error.curlCode == 52)  // CURLE_GOT_NOTHING
        #expect(error.isTransient)
    }

    @Test func truncatedBodyIsConnectionReset() async throws {
        let server = try TestHTTPServer.start { _ in
            .respond(status: 200, headers: [("Content-Length", "100"), ("Connection", "close")], body: Array("only ten b".utf8))
        }
        defer { server.stop() }

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "\(server.baseURL)/"))
        }

        #expect(error.code == .connectionReset)
        #expect(error.isTransient)
    }

    @Test func connectionRefusedIsConnectFailed() async throws {
        let port = try TestHTTPServer.unusedPort()

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/secret/path?token=hunter2"))
        }

        #expect(error.code == .connectFailed)
        #expect(error.isTransient)
        #expect(error.curlCode == 7)
        #expect(!error.description.contains("token"), "the description never holds the URL")
        #expect(!error.description.contains("/secret/path"))
    }

    @Test func httpsToAPlainHTTPServerIsATLSError() async throws {
        let server = try TestHTTPServer.start { _ in .text("not TLS") }
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"

        let error = try await #require(throws: HTTPError.self) { try await client.send(HTTPRequest(url: url)) }

        #expect(error.code == .tls)
        #expect(!error.isTransient)
        #expect(server.requestCount == 0)
    }

    @Test func bodyOverTheDefaultLimitIsTooLarge() async throws {
        let twentyMiB = [UInt8](repeating: UInt8(ascii: "x"), count: 20 * 1024 * 1024)
        let server = try TestHTTPServer.start { _ in .respond(status: 200, headers: [], body: twentyMiB) }
        defer { server.stop() }

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "\(server.baseURL)/huge"))
        }

        #expect(error.code == .tooLarge)
        #expect(!error.isTransient)
        try await waitUntil { server.openConnectionCount == 0 }
        #expect(server.bodyBytesSent < 20 * 1024 * 1024, "the client aborted instead of reading it all")
    }

    @Test func streamedBodyOverTheLimitAbortsTheTransferEarly() async throws {
        // No Content-Length: only the write callback can notice, as the bytes arrive.
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 64 * 1024)
        let server = try TestHTTPServer.start { _ in .stream(status: 200, headers: [], chunk: chunk, count: 1024) }
        defer { server.stop() }

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "\(server.baseURL)/stream"))
        }

        #expect(error.code == .tooLarge)
        try await waitUntil { server.openConnectionCount == 0 }
        // 64 MiB offered; the client stopped after 10 MiB (plus what socket buffers hold).
        #expect(server.bodyBytesSent < 40 * 1024 * 1024)
    }

    @Test(arguments: [false, true])
    func limitAllowsExactlyMaxResponseBytes(streamed: Bool) async throws {
        let server = try TestHTTPServer.start { request in
            let size = request.path == "/fits" ? 1000 : 1001
            let body = [UInt8](repeating: 0x41, count: size)
            return streamed ? .stream(status: 200, headers: [], chunk: body, count: 1) : .respond(status: 200, headers: [], body: body)
        }
        defer { server.stop() }
        var fits = HTTPRequest(url: "\(server.baseURL)/fits")
        fits.maxResponseBytes = 1000
        var over = fits
        over.url = "\(server.baseURL)/over"

        let response = try await client.send(fits)
        let error = try await #require(throws: HTTPError.self) { try await client.send(over) }

        #expect(response.body.count == 1000)
        #expect(error.code == .tooLarge)
    }

    @Test(arguments: ["not a url", "example.com/path", "http://[::1", ""])
    func malformedURLIsAnInvalidRequest(url: String) async throws {
        let error = try await #require(throws: HTTPError.self) { try await client.send(HTTPRequest(url: url)) }

        #expect(error.code == .invalidRequest)
        #expect(!error.isTransient)
    }

    @Test func lineBreakInAHeaderIsAnInvalidRequest() async throws {
        let server = try TestHTTPServer.start { _ in .status(200) }
        defer { server.stop() }
        let injected = HTTPRequest(url: server.baseURL, headers: [("X-Note", "a\r\nX-Injected: 1")])
        let badMethod = HTTPRequest(method: "GET /other HTTP/1.1\r\n", url: server.baseURL)

        let injectedError = try await #require(throws: HTTPError.self) { try await client.send(injected) }
        let methodError = try await #require(throws: HTTPError.self) { try await client.send(badMethod) }

        #expect(injectedError.code == .invalidRequest)
        #expect(methodError.code == .invalidRequest)
        #expect(server.requestCount == 0)
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://127.0.0.1/file", "gopher://127.0.0.1/", "unknown://host/"])
    func nonHTTPURLIsRefused(url: String) async throws {
        let error = try await #require(throws: HTTPError.self) { try await client.send(HTTPRequest(url: url)) }

        #expect(error.code == .protocolRefused)
        #expect(!error.isTransient)
    }
}

/// Polls `condition` every 10 ms for up to `timeout`; fails the test if it never holds.
func waitUntil(
    timeout: Duration = .seconds(30),  // generous: a loaded CI machine must not fail a test on time alone
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition still false after \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
