import BatonHTTP
import BatonTestSupport
import Testing

@Suite("HTTPClient: redirects")
struct HTTPClientRedirectTests {
    let client = HTTPClient()

    @Test func redirectToAnotherHTTPPathIsFollowed() async throws {
        let server = try TestHTTPServer.start { request in
            request.path == "/start" ? .redirect(to: "/final", headers: [("X-Hop", "1")]) : .text("arrived")
        }
        defer { server.stop() }

        let response = try await client.send(HTTPRequest(url: "\(server.baseURL)/start"))

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "arrived")
        #expect(response.effectiveURL == "\(server.baseURL)/final")
        #expect(response.header("x-hop") == nil, "the redirect's headers do not leak into the final response")
        #expect(response.header("location") == nil)
        #expect(server.requests.map(\.path) == ["/start", "/final"])
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://127.0.0.1/pub/file", "gopher://127.0.0.1/1", "scp://127.0.0.1/x"])
    func redirectToANonHTTPSchemeIsRefused(location: String) async throws {
        let server = try TestHTTPServer.start { _ in .redirect(to: location) }
        defer { server.stop() }

        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(url: "\(server.baseURL)/start"))
        }

        #expect(error.code == .protocolRefused)
        #expect(!error.isTransient)
        #expect(server.requestCount == 1)
    }

    @Test func zeroMaxRedirectsReturnsTheRedirectItself() async throws {
        let server = try TestHTTPServer.start { _ in .redirect(to: "/elsewhere", status: 301) }
        defer { server.stop() }
        var request = HTTPRequest(url: "\(server.baseURL)/start")
        request.maxRedirects = 0

        let response = try await client.send(request)

        #expect(response.status == 301)
        #expect(response.header("location") == "/elsewhere")
        #expect(server.requestCount == 1)
    }

    @Test func redirectLoopThrowsTooManyRedirects() async throws {
        let server = try TestHTTPServer.start { request in .redirect(to: "/loop/\(request.sequence + 1)") }
        defer { server.stop() }
        var request = HTTPRequest(url: "\(server.baseURL)/loop/0")
        request.maxRedirects = 3

        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }

        #expect(error.code == .tooManyRedirects)
        #expect(server.requestCount == 4)
    }
}
