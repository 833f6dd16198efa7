package import BatonPostgres

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
