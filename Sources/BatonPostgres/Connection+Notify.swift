internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#endif

extension Connection {
    /// Starts listening on `channel` (`LISTEN`). Refused behind a transaction pooler: the
    /// session that listens is not the one the next transaction gets.
    public func listen(_ channel: String) throws {
        guard !isPooled else {
            throw PostgresError(code: .client, message: "LISTEN does not work behind a transaction pooler")
        }
        try execute("LISTEN \(try quoteIdentifier(channel))")
    }

    /// The notifications that arrived, waiting up to `timeout` for the first one. Returns an
    /// empty list when none came in time; throws when the connection is lost.
    public func notifications(waitingUpTo timeout: Duration) throws -> [PostgresNotification] {
        try ensureUsable()
        var received = drainNotifications()
        if !received.isEmpty { return received }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw error(.connectionLost, fallback: "the connection has no socket") }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(clamping: max(0, timeout.milliseconds)))
        if ready < 0 && errno != EINTR {
            throw error(.connectionLost, fallback: "poll failed: \(String(cString: strerror(errno)))")
        }
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else { throw error(.connectionLost, fallback: "could not read from the server") }
            received = drainNotifications()
        }
        return received
    }

    private func drainNotifications() -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        while let notice = PQnotifies(handle) {
            received.append(PostgresNotification(channel: String(cString: notice.pointee.relname),
                                                 payload: String(cString: notice.pointee.extra),
                                                 senderPID: notice.pointee.be_pid))
            PQfreemem(notice)
        }
        return received
    }
}
