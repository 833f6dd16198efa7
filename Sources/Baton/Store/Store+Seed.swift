package import BatonPostgres

/// A run of consecutive source records, seeded in one transaction.
package struct SeedChunk: Sendable {
    package struct Record: Sendable {
        /// The item's key, nil when the record is malformed.
        package var key: String?
        /// The item's JSON, nil when malformed.
        package var payload: String?
        package var line: Int64
        /// Why the record is malformed.
        package var error: String?
        package var raw: String?

        package init(key: String?, payload: String?, line: Int64, error: String? = nil, raw: String? = nil) {
            self.key = key
            self.payload = payload
            self.line = line
            self.error = error
            self.raw = raw
        }
    }
    package var records: [Record] = []
    /// Reader position and line before the first record of the chunk.
    package var startPosition: Int64
    package var startLine: Int64
    /// Reader position and line after the last record.
    package var endPosition: Int64
    package var endLine: Int64
    /// The source has no more records after this chunk.
    package var isLast: Bool

    package init(records: [Record] = [], startPosition: Int64, startLine: Int64, endPosition: Int64, endLine: Int64, isLast: Bool) {
        self.records = records
        self.startPosition = startPosition
        self.startLine = startLine
        self.endPosition = endPosition
        self.endLine = endLine
        self.isLast = isLast
    }
}

package enum SeedOutcome: Sendable, Equatable {
    /// The chunk was enqueued. `deduplicated` counts records skipped because their key was
    /// already in the run, or (with `dedupe`) completed by a recent run of the pipeline.
    case seeded(inserted: Int, deduplicated: Int, malformed: Int)
    /// Another process seeded past this point (or finished): continue from there.
    case moved(position: Int64, line: Int64, done: Bool)
}

extension Store {
    /// Enqueues a chunk of source records as items of the first stage, and moves the run's
    /// seed position past them, in one transaction (so a crash never seeds a record twice or
    /// skips one). Refuses (``SeedOutcome/moved``) if the run's position is not where the
    /// chunk starts: two processes seeding one run never interleave.
    package static func seedChunk(
        _ conn: Connection, runID: Int64, pipeline: String, firstStage: String, maxAttempts: Int,
        chunk: SeedChunk, dedupeWindow: Duration?
    ) throws -> SeedOutcome {
        try conn.transaction { conn in
            let run = try conn.query(
                "SELECT seed_position, seed_line, seed_done FROM baton.runs WHERE id = $1 FOR UPDATE", [runID]
            ).rows
            guard let current = run.first else { throw BatonError(.temporary, "run \(runID) no longer exists") }
            let position = try current.decode(Int64.self, 0)
            let line = try current.decode(Int64.self, 1)
            let done = try current.decode(Bool.self, 2)
            guard !done, position == chunk.startPosition else {
                return .moved(position: position, line: line, done: done)
            }

            try conn.execute("""
                CREATE TEMP TABLE IF NOT EXISTS baton_seed (key text, payload text, line bigint, error text, raw text)
                ON COMMIT DELETE ROWS
                """)
            try conn.copyIn("COPY baton_seed (key, payload, line, error, raw) FROM STDIN") { writer in
                for record in chunk.records {
                    try writer.appendRow([record.key, record.payload, String(record.line), record.error, record.raw])
                }
            }
            let good = chunk.records.filter { $0.error == nil }.count
            let malformed = chunk.records.count - good

            let inserted: Int
            if let dedupeWindow {
                // Claim each key for this run unless a recent run of the pipeline holds it.
                // The primary key serialises concurrent runs: the second waits, then skips.
                inserted = try conn.query("""
                    WITH candidates AS (
                        SELECT DISTINCT ON (key) key FROM baton_seed WHERE error IS NULL ORDER BY key
                    ), claimed AS (
                        INSERT INTO baton.dedupe (pipeline, key, run_id, recorded_at)
                        SELECT $4, key, $1, now() FROM candidates
                        ON CONFLICT (pipeline, key) DO UPDATE
                        SET run_id = excluded.run_id, recorded_at = excluded.recorded_at
                        WHERE baton.dedupe.run_id = excluded.run_id
                           OR baton.dedupe.recorded_at < now() - $5 * interval '1 millisecond'
                        RETURNING key
                    )
                    INSERT INTO baton.items (run_id, stage, key, payload, max_attempts)
                    SELECT $1, $2, s.key, s.payload::jsonb, $3
                    FROM baton_seed s JOIN claimed c ON c.key = s.key
                    WHERE s.error IS NULL
                    ON CONFLICT (run_id, stage, key) DO NOTHING
                    """, [runID, firstStage, maxAttempts, pipeline, Int(dedupeWindow.milliseconds)]).affectedRows
            } else {
                inserted = try conn.query("""
                    INSERT INTO baton.items (run_id, stage, key, payload, max_attempts)
                    SELECT $1, $2, key, payload::jsonb, $3 FROM baton_seed WHERE error IS NULL
                    ON CONFLICT (run_id, stage, key) DO NOTHING
                    """, [runID, firstStage, maxAttempts]).affectedRows
            }
            if malformed > 0 {
                try conn.query("""
                    INSERT INTO baton.items (run_id, stage, key, payload, state, attempt, max_attempts, last_error, error_class, finished_at)
                    SELECT $1, $2, 'line:' || line, jsonb_build_object('line', line, 'raw', raw), 'failed', 0, $3,
                           error, 'bad record', now()
                    FROM baton_seed WHERE error IS NOT NULL
                    ON CONFLICT (run_id, stage, key) DO NOTHING
                    """, [runID, firstStage, maxAttempts])
            }
            let deduplicated = good - inserted
            try conn.query("""
                UPDATE baton.runs
                SET seed_position = $2, seed_line = $3, seeded = seeded + $4, seed_done = $5, updated_at = now()
                WHERE id = $1
                """, [runID, chunk.endPosition, chunk.endLine, inserted, chunk.isLast])
            if deduplicated > 0 {
                try addCounters(conn, runID: runID, stages: [firstStage], names: ["deduplicated"], amounts: [String(deduplicated)])
            }
            return .seeded(inserted: inserted, deduplicated: deduplicated, malformed: malformed)
        }
    }

    /// Pending items of a stage, counted up to `limit` (cheap whatever the queue's size).
    package static func pendingBacklog(_ conn: Connection, runID: Int64, stage: String, limit: Int) throws -> Int {
        try conn.query("""
            SELECT count(*) FROM (
                SELECT 1 FROM baton.items WHERE run_id = $1 AND stage = $2 AND state = 'pending' LIMIT $3
            ) AS backlog
            """, [runID, stage, limit]).rows[0].decode(Int.self, 0)
    }
}
