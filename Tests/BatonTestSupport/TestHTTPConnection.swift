#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Serves one accepted connection of a ``TestHTTPServer`` on its own thread: reads
/// requests, asks the handler, acts, until either side closes.
struct TestHTTPConnection {
    let socket: Int32
    /// The connection's number, from 1.
    let number: Int
    let core: TestHTTPServer.Core

    /// Returns when the connection is to be closed; the caller closes it.
    func serve() {
        var buffer: [UInt8] = []
        while let (request, keepAlive) = readRequest(&buffer) {
            switch core.handler(request) {
            case .respond(let status, let headers, let body):
                let closes = !keepAlive || headers.contains {
                    $0.0.lowercased() == "connection" && $0.1.lowercased() == "close"
                }
                var allHeaders = headers
                if !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
                    allHeaders.append(("Content-Length", "\(body.count)"))
                }
                if closes, !headers.contains(where: { $0.0.lowercased() == "connection" }) {
                    allHeaders.append(("Connection", "close"))
                }
                guard send(head(status, allHeaders)) else { return }
                if request.method != "HEAD", !body.isEmpty {
                    guard sendBody(body) else { return }
                }
                if closes { return }
            case .stream(let status, let headers, let chunk, let count):
                var allHeaders = headers
                if !headers.contains(where: { $0.0.lowercased() == "connection" }) {
                    allHeaders.append(("Connection", "close"))
                }
                guard send(head(status, allHeaders)) else { return }
                for _ in 0..<count {
                    guard sendBody(chunk) else { return }
                }
                return
            case .hang(let duration):
                hang(duration)
                return
            case .reset:
                TestHTTPSocket.setResetOnClose(socket)
                return
            case .close:
                return
            }
        }
    }

    /// Reads one request; `nil` when the client closed the connection or sent garbage.
    private func readRequest(_ buffer: inout [UInt8]) -> (TestHTTPRequest, keepAlive: Bool)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while true {
            headEnd = buffer.firstRange(of: separator)?.lowerBound
            if headEnd != nil { break }
            // Not HTTP (e.g. a TLS ClientHello): give up, which closes the connection.
            if let first = buffer.first, !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) { return nil }
            guard TestHTTPSocket.read(socket, into: &buffer) else { return nil }
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: buffer[..<headEnd], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((String(line[..<colon]), String(value)))
        }
        func header(_ name: String) -> String? {
            headers.last { $0.0.lowercased() == name }?.1.lowercased()
        }
        let length = header("content-length").flatMap { Int($0) } ?? 0
        if header("expect") == "100-continue" {
            guard send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
        }
        let bodyStart = headEnd + separator.count
        while buffer.count < bodyStart + length {
            guard TestHTTPSocket.read(socket, into: &buffer) else { return nil }
        }
        let body = Array(buffer[bodyStart..<bodyStart + length])
        buffer.removeFirst(bodyStart + length)

        let version = requestLine[2]
        let keepAlive = version == "HTTP/1.1" ? header("connection") != "close" : header("connection") == "keep-alive"
        let request = core.record(
            connection: number, method: String(requestLine[0]), target: String(requestLine[1]),
            headers: headers, body: body
        )
        return (request, keepAlive)
    }

    /// Waits without answering until `duration` passes or the connection closes.
    private func hang(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        var discarded: [UInt8] = []
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            let milliseconds = Int32(clamping: max(1, Int(left / .milliseconds(1))))
            var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, milliseconds) > 0 {
                discarded.removeAll()
                guard TestHTTPSocket.read(socket, into: &discarded) else { return }
            }
        }
    }

    private func head(_ status: Int, _ headers: [(String, String)]) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers {
            text += "\(name): \(value)\r\n"
        }
        return Array((text + "\r\n").utf8)
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { TestHTTPSocket.write(socket, $0) }
    }

    private func sendBody(_ bytes: [UInt8]) -> Bool {
        guard send(bytes) else { return false }
        core.countBodyBytes(bytes.count)
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }
}
