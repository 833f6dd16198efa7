package import BatonPostgres

extension Store {
    /// Every pipeline this database knows: those with runs, and those with a cursor, seen
    /// keys or remembered files. For `baton cursor` to tell a mistyped name from a pipeline
    /// that has not stored anything yet.
    package static func pipelineNames(_ conn: Connection) throws -> [String] {
        try conn.query("""
            SELECT pipeline FROM baton.runs UNION SELECT pipeline FROM baton.cursors
            UNION SELECT pipeline FROM baton.cursor_keys UNION SELECT pipeline FROM baton.source_files
            ORDER BY 1
            """).rows.map { try $0.decode(String.self, 0) }
    }
}
