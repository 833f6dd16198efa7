package import BatonPostgres

/// A run of consecutive source records, seeded in one transaction.
package struct SeedChunk: Sendable {
    package struct Record: Sendable {
        /// The item's key; for a malformed record nil (`line:N`) or the failed item's key.
        package var key: String?
        /// The item's JSON, nil when malformed.
        package var payload: String?
        package var line: Int64
        /// Why the record is malformed.
        package var error: String?
        package var raw: String?
        /// Incremental sources: the record's cursor value (canonical text).
        package var cursor: String?

        package init(key: String?, payload: String?, line: Int64, error: String? = nil, raw: String? = nil, cursor: String? = nil) {
            self.key = key
            self.payload = payload
            self.line = line
            self.error = error
            self.raw = raw
            self.cursor = cursor
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
    /// The reader's state before and after the chunk (``SourcePosition/state``).
    package var startState: String?
    package var endState: String?
    /// Incremental sources: the highest cursor value of the chunk's records. Stored as the
    /// pipeline's cursor unless a higher one is stored; the records' (key, cursor) pairs are
    /// remembered, and records seen before with the same pair are skipped.
    package var cursor: CursorUpdate?
    /// Files whose last record is in this chunk (file sets): remembered as read.
    package var finishedFiles: [SourceFile] = []

    /// The cursor update of a seeded chunk.
    package struct CursorUpdate: Sendable, Hashable {
        package var kind: CursorKind
        /// Canonical text (``CursorValue``); nil when no record of the chunk had one.
        package var highest: String?

        package init(kind: CursorKind, highest: String?) {
            self.kind = kind
            self.highest = highest
        }
    }

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
    case moved(position: Int64, line: Int64, done: Bool, state: String? = nil)
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
                "SELECT seed_position, seed_line, seed_done, seed_state FROM baton.runs WHERE id = $1 FOR UPDATE", [runID]
            ).rows
            guard let current = run.first else { throw BatonError(.temporary, "run \(runID) no longer exists") }
            let position = try current.decode(Int64.self, 0)
            let line = try current.decode(Int64.self, 1)
            let done = try current.decode(Bool.self, 2)
            let state = try current.decode(String?.self, 3)
            guard !done, position == chunk.startPosition, state == chunk.startState else {
                return .moved(position: position, line: line, done: done, state: state)
            }

            try conn.execute("""
                CREATE TEMP TABLE IF NOT EXISTS baton_seed (key text, payload text, line bigint, error text, raw text, cursor text)
                ON COMMIT DELETE ROWS
                """)
            try conn.copyIn("COPY baton_seed (key, payload, line, error, raw, cursor) FROM STDIN") { writer in
                for record in chunk.records {
                    try writer.appendRow([record.key, record.payload, String(record.line), record.error, record.raw, record.cursor])
                }
            }
            let good = chunk.records.filter { $0.error == nil }.count
            let malformed = chunk.records.count - good
            if chunk.cursor != nil {
                try skipSeenCursorKeys(conn, pipeline: pipeline)
            }

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
                    SELECT $1, $2, coalesce(key, 'line:' || line), jsonb_build_object('line', line, 'raw', raw), 'failed', 0, $3,
                           error, 'bad record', now()
                    FROM baton_seed WHERE error IS NOT NULL
                    ON CONFLICT (run_id, stage, key) DO NOTHING
                    """, [runID, firstStage, maxAttempts])
            }
            let deduplicated = good - inserted
            if let cursor = chunk.cursor {
                try rememberCursorKeys(conn, pipeline: pipeline, runID: runID)
                if let highest = cursor.highest {
                    try advanceCursor(conn, pipeline: pipeline, kind: cursor.kind, to: highest, runID: runID)
                }
            }
            if !chunk.finishedFiles.isEmpty {
                try rememberFiles(conn, pipeline: pipeline, runID: runID, chunk.finishedFiles)
            }
            try conn.query("""
                UPDATE baton.runs
                SET seed_position = $2, seed_line = $3, seeded = seeded + $4, seed_done = $5, seed_state = $6, updated_at = now()
                WHERE id = $1
                """, [runID, chunk.endPosition, chunk.endLine, inserted, chunk.isLast, chunk.endState])
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
