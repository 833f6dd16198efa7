internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#endif

/// Every exchange with the server goes through here: libpq in non-blocking mode, and
/// `poll(2)` on the connection's socket with a deadline. A server that stops answering (a
/// frozen network, a paused server, a proxy that no longer forwards) therefore costs at most
/// the connection's ``ConnectionConfig/answerTimeout``: the connection is then marked broken
/// and the call throws `.connectionLost`, so the caller reconnects instead of waiting forever.
extension Connection {
    /// When the current exchange must be over.
    func deadline(_ timeout: Duration?) -> ContinuousClock.Instant {
        .now + (timeout ?? answerTimeout)
    }

    /// Sends what libpq has queued (after a `PQsend…`), reading input meanwhile as libpq asks.
    func flush(until deadline: ContinuousClock.Instant) throws {
        while true {
            let state = PQflush(handle)
            if state == 0 { return }
            if state < 0 { throw error(.connectionLost, fallback: "could not send to the server") }
            let ready = try waitForSocket(read: true, write: true, until: deadline)
            if ready.read, PQconsumeInput(handle) == 0 {
                throw error(.connectionLost, fallback: "could not read from the server")
            }
        }
    }

    /// The next result of the exchange in progress, or nil when it is complete.
    func nextResult(until deadline: ContinuousClock.Instant) throws -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            _ = try waitForSocket(read: true, write: false, until: deadline)
            if PQconsumeInput(handle) == 0 {
                throw error(.connectionLost, fallback: "could not read from the server")
            }
        }
        return PQgetResult(handle)
    }

    /// Reads every result of the exchange in progress; returns the last one checked (or
    /// throws the first error after reading the rest, so the connection is ready again).
    func collectResults(until deadline: ContinuousClock.Instant) throws -> QueryResult {
        var last: QueryResult?
        var failure: (any Error)?
        while let result = try nextResult(until: deadline) {
            do {
                let checked = try check(result)
                if failure == nil { last = checked }
                if PQresultStatus(result) == PGRES_COPY_IN || PQresultStatus(result) == PGRES_COPY_OUT { return checked }
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        guard let last else { throw error(.client, fallback: "no result from server") }
        return last
    }

    /// Reads and discards results until the exchange is over (best effort, bounded).
    func drainResults(until deadline: ContinuousClock.Instant? = nil) {
        let deadline = deadline ?? self.deadline(nil)
        while isHealthy, let result = try? nextResult(until: deadline) { PQclear(result) }
    }

    /// Waits until the socket is readable (or writable), or throws when the deadline passes:
    /// the connection is then broken for good (the server may still be sending the answer).
    func waitForSocket(read: Bool, write: Bool, until deadline: ContinuousClock.Instant) throws -> (read: Bool, write: Bool) {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw error(.connectionLost, fallback: "the connection has no socket") }
        while true {
            let remaining = deadline - .now
            if remaining <= .zero {
                markBroken()
                throw PostgresError(
                    code: .connectionLost,
                    message: "connection to Postgres lost: no answer within \(Connection.describe(answerTimeout)); the connection was dropped"
                )
            }
            var events: Int16 = 0
            if read { events |= Int16(POLLIN) }
            if write { events |= Int16(POLLOUT) }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let milliseconds = Int32(clamping: max(1, min(remaining.milliseconds, 1_000)))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw error(.connectionLost, fallback: "poll failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            let hangup = descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
            return (descriptor.revents & Int16(POLLIN) != 0 || hangup, descriptor.revents & Int16(POLLOUT) != 0)
        }
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        return seconds >= 1 ? "\(seconds)s" : "\(duration.components.attoseconds / 1_000_000_000_000_000)ms"
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, saturating.
    var milliseconds: Int64 {
        let (s, attoseconds) = components
        let (scaled, overflow) = s.multipliedReportingOverflow(by: 1000)
        if overflow { return s < 0 ? .min : .max }
        return scaled + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
