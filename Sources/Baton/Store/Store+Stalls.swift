package import BatonPostgres

/// A session inside a transaction whose server waits for its client in the middle of a
/// statement: a COPY whose data stopped coming, or a pipeline whose next message never came.
/// `idle_in_transaction_session_timeout` does not cover these gaps of the protocol (the
/// session is `active`), so a paused or frozen process would hold its row locks forever.
package struct StalledSession: Sendable, Hashable {
    package var pid: Int32
    /// What must stay the same between two sightings for the session to count as stalled:
    /// the same backend, the same statement, and (a COPY) the same bytes received.
    package var signature: String

    package init(pid: Int32, signature: String) {
        self.pid = pid
        self.signature = signature
    }
}

extension Store {
    /// This database's sessions of the same role and application name (other baton processes
    /// of this deployment) that wait for their client inside a transaction.
    package static func clientWaits(_ conn: Connection) throws -> [StalledSession] {
        try conn.query("""
            SELECT a.pid, a.backend_start::text || '|' || a.query_start::text || '|' || coalesce(c.bytes_processed, -1)::text
            FROM pg_stat_activity a LEFT JOIN pg_stat_progress_copy c ON c.pid = a.pid
            \(clientWaitCondition)
            """).rows.map { StalledSession(pid: try $0.decode(Int32.self, 0), signature: try $0.decode(String.self, 1)) }
    }

    /// Terminates `session` if it is still waiting exactly as when it was seen (it did not
    /// move on in between). Returns whether it was terminated.
    package static func terminateStalled(_ conn: Connection, _ session: StalledSession) throws -> Bool {
        try conn.query("""
            SELECT pg_terminate_backend(a.pid)
            FROM pg_stat_activity a LEFT JOIN pg_stat_progress_copy c ON c.pid = a.pid
            \(clientWaitCondition) AND a.pid = $1
              AND a.backend_start::text || '|' || a.query_start::text || '|' || coalesce(c.bytes_processed, -1)::text = $2
            """, [session.pid, session.signature]).rows.first.map { try $0.decode(Bool.self, 0) } ?? false
    }

    private static let clientWaitCondition = """
        WHERE a.datname = current_database() AND a.usename = current_user AND a.pid <> pg_backend_pid()
          AND a.application_name = current_setting('application_name')
          AND a.state = 'active' AND a.wait_event_type = 'Client' AND a.wait_event = 'ClientRead'
          AND a.xact_start IS NOT NULL
        """
}

/// Which client waits have lasted long enough to end: a session seen waiting with the same
/// signature for at least `patience` is stalled. Pure; fed one sighting after another.
package struct StallTracker {
    package let patience: Duration
    private var firstSeen: [StalledSession: ContinuousClock.Instant] = [:]

    package init(patience: Duration) { self.patience = patience }

    /// Records what was seen at `now`; returns the sessions stalled for `patience` or more.
    package mutating func observe(_ sessions: [StalledSession], at now: ContinuousClock.Instant) -> [StalledSession] {
        var next: [StalledSession: ContinuousClock.Instant] = [:]
        for session in sessions { next[session] = firstSeen[session] ?? now }
        firstSeen = next
        return sessions.filter { now - next[$0]! >= patience }
    }

    package mutating func forget(_ session: StalledSession) { firstSeen.removeValue(forKey: session) }
}
