import Baton
import BatonPostgres
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Publishes the process's metrics (``MetricsRegistry``) while it works: over HTTP
/// (`--metrics-listen HOST:PORT`, `GET /metrics`, what Prometheus scrapes) and/or as a file
/// in node_exporter's textfile-collector format (`--metrics-file PATH`, rewritten every
/// interval and once more at exit, atomically: written aside, then renamed).
///
/// Everything runs on one thread of its own (blocking accept, reads and the database's
/// gauges on a connection of its own), never on Swift's cooperative pool.
final class MetricsExporter: @unchecked Sendable {
    // @unchecked: `listener` and `connection` are only touched by the exporter's thread once
    // it started (the initialiser sets them up before); `state` is a Mutex.
    private let listener: Int32?
    private let file: String?
    private let interval: Duration
    private let database: ConnectionConfig
    private var connection: Connection?
    private struct State {
        var stopping = false
        var stopped: CheckedContinuation<Void, Never>?
        var finished = false
    }
    private let state = Mutex(State())
    /// The address the listener is bound to (`127.0.0.1:9464`), with the real port when 0 was asked.
    let address: String?

    /// Binds the listener now (a port in use is a usage error before any work starts).
    init?(listen: String?, file: String?, interval: Duration, database: ConnectionConfig) throws {
        guard listen != nil || file != nil else { return nil }
        self.file = file
        self.interval = interval
        self.database = database
        if let listen {
            let (fd, bound) = try MetricsExporter.bind(listen)
            listener = fd
            address = bound
        } else {
            listener = nil
            address = nil
        }
        let thread = Thread { [self] in self.loop() }
        thread.name = "baton-metrics"
        thread.start()
    }

    /// Writes the file a last time, closes the listener, and returns once the thread is done.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                state.stopping = true
                if state.finished { return true }
                state.stopped = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func loop() {
        var nextWrite = ContinuousClock.now
        while !state.withLock({ $0.stopping }) {
            if file != nil, ContinuousClock.now >= nextWrite {
                writeFile()
                nextWrite = ContinuousClock.now + interval
            }
            if let listener {
                var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 200) > 0 {
                    let client = accept(listener, nil, nil)
                    if client >= 0 { serve(client) }
                }
            } else {
                usleep(200_000)
            }
        }
        if file != nil { writeFile() }
        if let listener { close(listener) }
        connection = nil
        let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            return state.stopped
        }
        waiting?.resume()
    }

    /// The exposition text, with the gauges if the database answers (else without them, and
    /// `baton_metrics_database_up 0`).
    private func render() -> String {
        let gauges: FleetGauges?
        do {
            let conn = try connection ?? Connection(database)
            connection = conn
            // No schema yet (nothing migrated): no runs, nothing to report.
            gauges = try Store.isCurrent(conn) ? Store.fleetGauges(conn, also: MetricsRegistry.shared.notedRuns) : FleetGauges(stages: [], workers: [])
        } catch {
            connection = nil
            gauges = nil
        }
        return MetricsRegistry.shared.render(gauges: gauges)
    }

    private func writeFile() {
        guard let file else { return }
        let aside = "\(file).\(getpid()).tmp"
        do {
            try render().write(toFile: aside, atomically: false, encoding: .utf8)
            if rename(aside, file) != 0 { unlink(aside) }
        } catch {
            unlink(aside)
        }
    }

    // MARK: HTTP

    /// Answers one request: `GET /metrics` (any query string), else 404; then closes.
    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 65_536, !request.containsHeaderEnd {
            let n = read(client, &buffer, buffer.count)
            guard n > 0 else { break }
            request.append(contentsOf: buffer[..<n])
        }
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let path = parts.count >= 2 ? parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? "" : ""
        let response: String
        if parts.first == "GET" && path == "/metrics" {
            let body = render()
            response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        } else {
            let body = "not found: baton serves /metrics\n"
            response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        }
        var bytes = Array(response.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// A listening IPv4 socket for `HOST:PORT` (`127.0.0.1:9464`, `0.0.0.0:9464`,
    /// `localhost:0` for a free port); returns it and the address it got.
    static func bind(_ address: String) throws -> (Int32, String) {
        let listen = address
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            throw BatonError(.usage, "--metrics-listen: `\(listen)` is not HOST:PORT (e.g. 127.0.0.1:9464)")
        }
        var host = String(listen[..<colon])
        if host.isEmpty { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw BatonError(.usage, "--metrics-listen: `\(host)` is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BatonError(.unavailable, "--metrics-listen: no socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BatonError(.usage, "--metrics-listen: cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, "\(host):\(UInt16(bigEndian: actual.sin_port))")
    }
}

extension [UInt8] {
    /// Whether the bytes hold the blank line ending an HTTP request's head.
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 {
            return true
        }
        return false
    }
}
