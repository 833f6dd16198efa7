package import BatonPostgres

extension Store {
    /// The stages of a run as stored when it was created or last reopened (name and kind),
    /// in pipeline order: what a command can say about a run whose file it cannot load.
    package static func storedStages(_ conn: Connection, runID: Int64) throws -> [(name: String, kind: String)] {
        try conn.query("""
            SELECT s->>'name', coalesce(s->>'kind', '') FROM baton.runs r, jsonb_array_elements(r.definition->'stages') WITH ORDINALITY AS t(s, n)
            WHERE r.id = $1 ORDER BY n
            """, [runID]).rows.map { (try $0.decode(String.self, 0), try $0.decode(String.self, 1)) }
    }

    /// Stage and state of the run's items with these keys (any stage), for telling a
    /// mistyped `--key` from an item that is simply not failed.
    package static func itemsWithKeys(_ conn: Connection, runID: Int64, keys: [String]) throws -> [(key: String, stage: String, state: String)] {
        try conn.query("""
            SELECT key, stage, state FROM baton.items WHERE run_id = $1 AND key = ANY($2::text[]) ORDER BY id
            """, [runID, PostgresArray(keys)]).rows.map { (try $0.decode(String.self, 0), try $0.decode(String.self, 1), try $0.decode(String.self, 2)) }
    }

    /// Stages that hold items of the run (any state).
    package static func stagesWithItems(_ conn: Connection, runID: Int64) throws -> [String] {
        try conn.query("SELECT DISTINCT stage FROM baton.batches WHERE run_id = $1 ORDER BY 1", [runID]).rows.map { try $0.decode(String.self, 0) }
    }
}
