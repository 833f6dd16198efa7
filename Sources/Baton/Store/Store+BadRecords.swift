package import BatonPostgres

extension Store {
    /// The failed `bad record` items of a run that `selection` picks (their stage, key or
    /// error text), by line.
    package static func badRecords(_ conn: Connection, runID: Int64, selection: ReplaySelection) throws -> [BadRecord] {
        try conn.query("""
            SELECT id, stage, coalesce((payload->>'line')::bigint, 0), coalesce(last_error, '') FROM baton.items
            WHERE run_id = $1 AND state = 'failed' AND error_class = 'bad record'
              AND ($2::text[] IS NULL OR stage = ANY($2::text[]))
              AND ($3::text[] IS NULL OR key = ANY($3::text[]))
              AND ($4::text IS NULL OR strpos(lower(coalesce(last_error, '')), lower($4)) > 0)
            ORDER BY 3
            """, [
                runID,
                selection.stages.map { PostgresArray($0).postgresValue } ?? PostgresValue.null,
                selection.keys.map { PostgresArray($0).postgresValue } ?? PostgresValue.null,
                selection.errorPattern,
            ]).rows.map {
                BadRecord(id: try $0.decode(Int64.self, 0), stage: try $0.decode(String.self, 1), line: try $0.decode(Int64.self, 2),
                          error: try $0.decode(String.self, 3))
            }
    }

    /// Applies what re-reading bad records gave, in one transaction: a record valid now
    /// becomes a pending item of `stage` under its real key (the same row: its history
    /// keeps the old error as attempt 0), or, when that key is already in the stage, is
    /// dropped as a duplicate; a record still bad keeps failing with the new error. The run
    /// is reopened.
    package static func replayBadRecords(
        _ conn: Connection, runID: Int64, stage: String, maxAttempts: Int, outcomes: [(BadRecord, RereadRecord)], pipeline: Pipeline
    ) throws -> BadRecordReplay {
        try conn.transaction { conn in
            let state = try conn.query("SELECT state FROM baton.runs WHERE id = $1 FOR NO KEY UPDATE", [runID]).rows.first
                .map { try $0.decode(String.self, 0) }
            guard state != "cancelled" else { throw BatonError(.usage, "the run was cancelled; start a new run instead") }
            var result = BadRecordReplay()
            var fixed: [Int64] = []
            try conn.execute("CREATE TEMP TABLE IF NOT EXISTS baton_touched (batch bigint) ON COMMIT DROP")
            for (record, outcome) in outcomes {
                switch outcome {
                case .fixed(let key, let payload):
                    let taken = try conn.query("SELECT 1 FROM baton.item_rows WHERE run_id = $1 AND stage = $2 AND key = $3",
                                               [runID, stage, key]).rowCount > 0
                    if taken {
                        try conn.query("""
                            WITH gone AS (DELETE FROM baton.item_rows WHERE run_id = $1 AND id = $2 AND outcome = 'failed' RETURNING batch_id)
                            INSERT INTO baton_touched SELECT batch_id FROM gone
                            """, [runID, record.id])
                        result.duplicates += 1
                        continue
                    }
                    let updated = try conn.query("""
                        WITH old AS (SELECT batch_id FROM baton.item_rows WHERE run_id = $1 AND id = $2 AND outcome = 'failed'),
                             touched AS (INSERT INTO baton_touched SELECT batch_id FROM old)
                        UPDATE baton.item_rows SET key = $3, payload = $4, outcome = NULL, error = NULL, error_class = NULL
                        WHERE run_id = $1 AND id = $2 AND outcome = 'failed'
                        """, [runID, record.id, key, payload]).affectedRows
                    guard updated == 1 else { continue }
                    fixed.append(record.id)
                    result.fixed += 1
                    try recordBadRecordHistory(conn, runID: runID, record: record, note: "valid when re-read on replay; now key \(key)")
                case .stillBad(let error, let raw):
                    try conn.query("""
                        UPDATE baton.item_rows SET error = $3,
                               payload = jsonb_build_object('line', payload::jsonb->'line', 'raw', coalesce($4, payload::jsonb->>'raw'))::text
                        WHERE run_id = $1 AND id = $2 AND outcome = 'failed'
                        """, [runID, record.id, ItemFailure.storable(error, limit: 2000), raw.map { ItemFailure.storable($0, limit: 1000) }])
                    result.stillBad += 1
                    try recordBadRecordHistory(conn, runID: runID, record: record, note: "still bad when re-read on replay")
                }
            }
            if !fixed.isEmpty {
                // The fixed records go back to the queue together, in a batch of their own.
                try conn.query("""
                    WITH made AS (
                        INSERT INTO baton.batches (id, run_id, stage, max_attempts, item_ids, size)
                        VALUES (nextval('baton.batch_ids'), $1, $2, $3, $4::bigint[], cardinality($4::bigint[]))
                        RETURNING id
                    )
                    UPDATE baton.item_rows i SET batch_id = made.id FROM made WHERE i.run_id = $1 AND i.id = ANY($4::bigint[])
                    """, [runID, stage, maxAttempts, PostgresArray(fixed.map { String($0) })])
            }
            try recountTouchedBatches(conn, runID: runID)
            if result.duplicates > 0 {
                try addCounters(conn, runID: runID, stages: [stage], names: ["deduplicated"], amounts: [String(result.duplicates)])
            }
            if result.fixed > 0 {
                try conn.query("UPDATE baton.runs SET seeded = seeded + $2 WHERE id = $1", [runID, result.fixed])
            }
            try reopenRun(conn, runID: runID, pipeline: pipeline)
            return result
        }
    }

    /// The key a bad record `line:N` has now, if a replay read it again and it became an item.
    package static func rereadKey(_ conn: Connection, runID: Int64, badRecordKey key: String) throws -> String? {
        guard key.hasPrefix("line:"), let line = Int64(key.dropFirst(5)) else { return nil }
        return try conn.query("""
            SELECT i.key FROM baton.attempts a JOIN baton.item_rows i ON i.run_id = a.run_id AND i.id = a.item_id
            WHERE a.run_id = $1 AND a.error_class = 'bad record' AND a.error LIKE $2 AND i.key NOT LIKE 'line:%'
            ORDER BY a.id DESC LIMIT 1
            """, [runID, "line \(line): %"]).rows.first.map { try $0.decode(String.self, 0) }
    }

    /// Keeps the error a bad record was seeded with in its attempt history (`baton explain`).
    private static func recordBadRecordHistory(_ conn: Connection, runID: Int64, record: BadRecord, note: String) throws {
        try conn.query("""
            INSERT INTO baton.attempts (item_id, run_id, attempt, outcome, error_class, error)
            VALUES ($1, $2, 0, 'failed', 'bad record', $3)
            """, [record.id, runID, ItemFailure.storable("line \(record.line): \(record.error) (\(note))", limit: 2000)])
    }
}
