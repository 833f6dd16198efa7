internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A real HTTP/1.1 server on 127.0.0.1 for tests, on an ephemeral port.
///
/// Each request goes to the test's handler, which says what to do (``TestHTTPAction``):
/// answer, hang, reset the connection, … Connections are kept alive between requests;
/// the server counts the TCP connections it accepted and records every request.
/// One thread accepts, one thread serves each connection.
///
/// ```swift
/// let server = try TestHTTPServer.start { request in .json(#"{"id": 1}"#) }
/// defer { server.stop() }
/// … "\(server.baseURL)/items/1" …
/// ```
public final class TestHTTPServer: Sendable {
    public typealias Handler = @Sendable (TestHTTPRequest) -> TestHTTPAction

    /// The port it listens on.
    public let port: Int
    private let core: Core

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts listening on an ephemeral port of 127.0.0.1 and serving with `handler`.
    public static func start(handler: @escaping Handler) throws -> TestHTTPServer {
        let listener = try TestHTTPSocket.listen()
        let port: Int
        do {
            port = try TestHTTPSocket.port(of: listener)
        } catch {
            close(listener)
            throw error
        }
        return TestHTTPServer(port: port, core: Core(listener: listener, handler: handler))
    }

    private init(port: Int, core: Core) {
        self.port = port
        self.core = core
        let thread = Thread { [core] in core.acceptLoop() }
        thread.name = "test-http-accept"
        thread.start()
    }

    deinit {
        stop()
    }

    /// The number of TCP connections accepted so far.
    public var connectionCount: Int { core.state.withLock { $0.connectionCount } }
    /// The number of connections open now.
    public var openConnectionCount: Int { core.state.withLock { $0.open.count } }
    /// The number of requests received so far.
    public var requestCount: Int { core.state.withLock { $0.requests.count } }
    /// Every request received so far, in order.
    public var requests: [TestHTTPRequest] { core.state.withLock { $0.requests } }
    /// Response body bytes the server managed to write, over all connections.
    public var bodyBytesSent: Int { core.state.withLock { $0.bodyBytesSent } }

    /// Stops accepting and closes every connection (a hanging handler returns at once).
    /// Idempotent; also done when the server is released.
    public func stop() {
        core.stop()
    }

    /// A port of 127.0.0.1 on which nothing listens (one just bound and released).
    public static func unusedPort() throws -> Int {
        let listener = try TestHTTPSocket.listen()
        defer { close(listener) }
        return try TestHTTPSocket.port(of: listener)
    }

    /// A socket call failed while starting the server.
    public struct SocketError: Error, CustomStringConvertible {
        public let call: String
        public let errno: Int32
        public var description: String { "\(call): \(String(cString: strerror(errno)))" }
    }

    /// The state shared by the accepting thread, the connection threads and the test.
    final class Core: Sendable {
        struct State {
            var isStopped = false
            /// Open connection sockets. A socket leaves this set, under the lock, before its
            /// thread closes it: `stop()` only shuts down sockets that are still open.
            var open: Set<Int32> = []
            var connectionCount = 0
            var requests: [TestHTTPRequest] = []
            var bodyBytesSent = 0
        }

        let listener: Int32
        let handler: Handler
        let state = Mutex(State())

        init(listener: Int32, handler: @escaping Handler) {
            self.listener = listener
            self.handler = handler
        }

        func acceptLoop() {
            defer { close(listener) }
            while !state.withLock({ $0.isStopped }) {
                var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 100) > 0 else { continue }
                let socket = accept(listener, nil, nil)
                guard socket >= 0 else { continue }
                let number: Int? = state.withLock { state in
                    guard !state.isStopped else { return nil }
                    state.open.insert(socket)
                    state.connectionCount += 1
                    return state.connectionCount
                }
                guard let number else {
                    close(socket)
                    return
                }
                TestHTTPSocket.configure(socket)
                let thread = Thread { [self] in
                    TestHTTPConnection(socket: socket, number: number, core: self).serve()
                    closeConnection(socket)
                }
                thread.name = "test-http-connection"
                thread.start()
            }
        }

        /// Records a request; returns it with its sequence number.
        func record(connection: Int, method: String, target: String, headers: [(String, String)], body: [UInt8])
            -> TestHTTPRequest
        {
            state.withLock { state in
                let request = TestHTTPRequest(
                    sequence: state.requests.count, connection: connection, method: method,
                    target: target, headers: headers, body: body
                )
                state.requests.append(request)
                return request
            }
        }

        func countBodyBytes(_ count: Int) {
            state.withLock { $0.bodyBytesSent += count }
        }

        func closeConnection(_ socket: Int32) {
            state.withLock { _ = $0.open.remove(socket) }
            close(socket)
        }

        func stop() {
            state.withLock { state in
                guard !state.isStopped else { return }
                state.isStopped = true
                _ = shutdown(listener, Int32(SHUT_RDWR))
                for socket in state.open {
                    _ = shutdown(socket, Int32(SHUT_RDWR))
                }
            }
        }
    }
}
