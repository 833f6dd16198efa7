import BatonHTTP
import BatonTestSupport
import Testing

@Suite("HTTPClient: responses")
struct HTTPClientResponseTests {
    let client = HTTPClient()

    @Test func getReturnsStatusHeadersAndBody() async throws {
        let server = try TestHTTPServer.start { _ in
            .json(#"{"id":1,"name":"baton"}"#, headers: [("X-Multi", "a"), ("X-Multi", "b")])
        }
        defer { server.stop() }
        let url = "\(server.baseURL)/items/1?fields=all"
        let request = HTTPRequest(url: url, headers: [("Accept", "application/json"), ("X-Request-Id", "42")])

        let response = try await client.send(request)

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"id":1,"name":"baton"}"#)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("X-MULTI") == "b")
        #expect(response.headers.filter { $0.0 == "x-multi" }.map(\.1) == ["a", "b"])
        #expect(response.headers.allSatisfy { $0.0 == $0.0.lowercased() })
        #expect(response.effectiveURL == url)
        #expect(response.httpVersion == .http1_1)
        #expect(response.totalTime > .zero)
        let received = try #require(server.requests.first)
        #expect(received.method == "GET")
        #expect(received.target == "/items/1?fields=all")
        #expect(received.header("accept") == "application/json")
        #expect(received.header("x-request-id") == "42")
    }

    @Test func notFoundIsAResponseNotAnError() async throws {
        let server = try TestHTTPServer.start { _ in .text("no such item", status: 404) }
        defer { server.stop() }

        let response = try await client.send(HTTPRequest(url: "\(server.baseURL)/items/404"))

        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self) == "no such item")
    }

    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE"])
    func bodyAndHeadersArriveIntact(method: String) async throws {
        let server = try TestHTTPServer.start { request in .status(request.method == "POST" ? 201 : 200) }
        defer { server.stop() }
        let body = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }  // binary, NUL bytes included
        let request = HTTPRequest(
            method: method,
            url: "\(server.baseURL)/upload?x=1",
            headers: [("Content-Type", "application/octet-stream"), ("Idempotency-Key", "run-1/fetch/7"), ("X-Empty", "")],
            body: body
        )

        let response = try await client.send(request)

        #expect(response.status == (method == "POST" ? 201 : 200))
        let received = try #require(server.requests.first)
        #expect(received.method == method)
        #expect(received.target == "/upload?x=1")
        #expect(received.body == body)
        #expect(received.header("content-length") == "3000")
        #expect(received.header("content-type") == "application/octet-stream")
        #expect(received.header("idempotency-key") == "run-1/fetch/7")
        #expect(received.header("x-empty") == "")
        #expect(received.header("expect") == nil)
    }

    /// One after the other, the requests reuse one easy handle, which keeps the options of a
    /// request like the last one and is set up again for any other: each arrives as it was
    /// made (method, body, headers), none carries a former one's.
    @Test func requestsOneAfterTheOtherEachArriveAsMade() async throws {
        let server = try TestHTTPServer.start { _ in .text("ok") }
        defer { server.stop() }
        let base = server.baseURL
        let requests = [
            HTTPRequest(method: "POST", url: "\(base)/a", headers: [("X-One", "1")], body: Array("first".utf8)),
            HTTPRequest(method: "POST", url: "\(base)/b", headers: [("X-One", "1")], body: Array("second".utf8)),
            HTTPRequest(url: "\(base)/c"),
            HTTPRequest(method: "PUT", url: "\(base)/d", headers: [("X-Two", "2")], body: Array("third".utf8)),
            HTTPRequest(method: "DELETE", url: "\(base)/e"),
            HTTPRequest(url: "\(base)/f", headers: [("X-Three", "3")]),
            HTTPRequest(url: "\(base)/g", headers: [("X-Three", "3")]),
        ]
        for request in requests {
            #expect(try await client.send(request).status == 200)
        }
        let received = server.requests
        try #require(received.count == requests.count)
        for (sent, got) in zip(requests, received) {
            #expect(got.method == sent.method, "\(sent.url)")
            #expect(got.target == String(sent.url.dropFirst(base.count)))
            #expect(got.body == (sent.body ?? []), "\(sent.url)")
            for name in ["x-one", "x-two", "x-three"] {
                #expect(got.header(name) == sent.headers.first { $0.0.lowercased() == name }?.1, "\(sent.url) \(name)")
            }
        }
    }

    @Test func postWithoutBodySendsAnEmptyBody() async throws {
        let server = try TestHTTPServer.start { _ in .status(204) }
        defer { server.stop() }

        let response = try await client.send(HTTPRequest(method: "POST", url: "\(server.baseURL)/ping"))

        #expect(response.status == 204)
        let received = try #require(server.requests.first)
        #expect(received.method == "POST")
        #expect(received.header("content-length") == "0")
        #expect(received.body.isEmpty)
    }

    @Test func headReturnsHeadersWithoutBody() async throws {
        let server = try TestHTTPServer.start { _ in .text("a body that HEAD does not get") }
        defer { server.stop() }

        let response = try await client.send(HTTPRequest(method: "HEAD", url: "\(server.baseURL)/"))

        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.header("content-length") == "29")
        #expect(server.requests.first?.method == "HEAD")
    }

    @Test(arguments: [nil, HTTPVersion.http1_1, .http2])
    func requestedVersionWorksAgainstAnHTTP11Server(version: HTTPVersion?) async throws {
        let server = try TestHTTPServer.start { _ in .text("ok") }
        defer { server.stop() }
        var request = HTTPRequest(url: "\(server.baseURL)/")
        request.httpVersion = version

        let response = try await client.send(request)

        #expect(response.status == 200)
        #expect(response.httpVersion == .http1_1)
        #expect(String(decoding: response.body, as: UTF8.self) == "ok")
    }

    @Test func gzipBodyIsDecodedTransparently() async throws {
        let original = Array(String(repeating: "baton moves items through stages. ", count: 300).utf8)
        let compressed = try gzip(original)
        #expect(compressed.count < original.count / 10)
        let server = try TestHTTPServer.start { _ in
            .respond(status: 200, headers: [("Content-Encoding", "gzip")], body: compressed)
        }
        defer { server.stop() }

        let response = try await client.send(HTTPRequest(url: "\(server.baseURL)/compressed"))

        #expect(response.body == original)
        #expect(response.header("content-encoding") == "gzip")
        let acceptEncoding = try #require(server.requests.first?.header("accept-encoding"))
        #expect(acceptEncoding.contains("gzip"))
    }

    @Test func acceptEncodingCanBeTurnedOff() async throws {
        let server = try TestHTTPServer.start { _ in .text("plain") }
        defer { server.stop() }
        var request = HTTPRequest(url: "\(server.baseURL)/")
        request.acceptEncoding = false

        _ = try await client.send(request)

        #expect(server.requests.first?.header("accept-encoding") == nil)
    }
}
