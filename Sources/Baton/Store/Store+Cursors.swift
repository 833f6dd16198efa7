package import BatonPostgres
import Foundation

extension Store {
    // MARK: In the seed transaction (see ``seedChunk(_:target:chunk:ids:)``)

    /// Drops from the chunk being seeded (temp table `baton_seed`) the records whose key was
    /// already seeded with the same cursor value: a re-read (lookback) of an unchanged record.
    static func skipSeenCursorKeys(_ conn: Connection, pipeline: String) throws {
        try conn.query("""
            DELETE FROM baton_seed s USING baton.cursor_keys k
            WHERE k.pipeline = $1 AND k.key = s.key AND k.cursor = s.cursor AND s.error IS NULL
            """, [pipeline])
    }

    /// Remembers the (key, cursor) of the chunk's records. Within one run the first version of
    /// a key is the one enqueued, so a later row of the same run does not replace it.
    static func rememberCursorKeys(_ conn: Connection, pipeline: String, runID: Int64) throws {
        try conn.query("""
            INSERT INTO baton.cursor_keys (pipeline, key, cursor, run_id, seen_at)
            SELECT DISTINCT ON (key) $1, key, cursor, $2, now() FROM baton_seed
            WHERE error IS NULL AND cursor IS NOT NULL ORDER BY key, line
            ON CONFLICT (pipeline, key) DO UPDATE SET cursor = excluded.cursor, run_id = excluded.run_id, seen_at = excluded.seen_at
            WHERE baton.cursor_keys.run_id <> excluded.run_id
            """, [pipeline, runID])
    }

    /// Moves the pipeline's cursor to `value` unless a higher one is stored (compared as
    /// numbers, timestamps or text by `kind`; a cursor of another kind is replaced).
    static func advanceCursor(_ conn: Connection, pipeline: String, kind: CursorKind, to value: String, runID: Int64) throws {
        // The casts cannot fail: both values are canonical text of their kind (``CursorValue``).
        try conn.query("""
            INSERT INTO baton.cursors AS c (pipeline, value, kind, run_id, updated_at) VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (pipeline) DO UPDATE SET value = excluded.value, kind = excluded.kind, run_id = excluded.run_id, updated_at = now()
            WHERE CASE
                WHEN c.kind <> excluded.kind THEN true
                WHEN c.kind = 'number' THEN c.value::numeric < excluded.value::numeric
                WHEN c.kind = 'timestamp' THEN c.value::timestamptz < excluded.value::timestamptz
                ELSE c.value COLLATE "C" < excluded.value COLLATE "C"
            END
            """, [pipeline, value, kind.rawValue, runID])
    }

    /// Remembers files read to their end (replacing what was remembered of the same path).
    static func rememberFiles(_ conn: Connection, pipeline: String, runID: Int64, _ files: [SourceFile]) throws {
        // One row per path (the last word on it): a statement may not update a row twice.
        var latest: [ExactText: SourceFile] = [:]
        for file in files { latest[ExactText(file.path)] = file }
        let files = Array(latest.values)
        try conn.query("""
            INSERT INTO baton.source_files (pipeline, path, size, modified, checksum, run_id, read_at)
            SELECT $1, f.path, f.size, f.modified, f.checksum, $2, now()
            FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::text[]) AS f (path, size, modified, checksum)
            ON CONFLICT (pipeline, path) DO UPDATE SET size = excluded.size, modified = excluded.modified,
                checksum = excluded.checksum, run_id = excluded.run_id, read_at = excluded.read_at
            """, [pipeline, runID, PostgresArray(files.map(\.path)), PostgresArray(files.map { String($0.size) }),
                  PostgresArray(files.map { String($0.modified) }), PostgresArray(files.map(\.checksum))])
    }

    // MARK: Reading and changing (readers, `baton cursor`)

    package static func cursor(_ conn: Connection, pipeline: String) throws -> PipelineMemory.Cursor? {
        try conn.query("SELECT value, kind, run_id, updated_at FROM baton.cursors WHERE pipeline = $1", [pipeline]).rows.first.map { row in
            PipelineMemory.Cursor(value: try row.decode(String.self, 0), kind: CursorKind(rawValue: try row.decode(String.self, 1)) ?? .text,
                         runID: try row.decode(Int64?.self, 2), updatedAt: try row.decode(Date.self, 3))
        }
    }

    /// The files of a pipeline's file set read so far, by path.
    package static func rememberedFiles(_ conn: Connection, pipeline: String) throws -> [String: SourceFile] {
        var files: [String: SourceFile] = [:]
        for row in try conn.query("SELECT path, size, modified, checksum FROM baton.source_files WHERE pipeline = $1", [pipeline]).rows {
            let file = SourceFile(path: try row.decode(String.self, 0), size: try row.decode(Int64.self, 1),
                                  modified: try row.decode(Int64.self, 2), checksum: try row.decode(String.self, 3))
            files[file.path] = file
        }
        return files
    }

    package static func memory(_ conn: Connection, pipeline: String) throws -> PipelineMemory {
        let row = try conn.query("""
            SELECT (SELECT count(*) FROM baton.cursor_keys WHERE pipeline = $1), (SELECT count(*) FROM baton.source_files WHERE pipeline = $1)
            """, [pipeline]).rows[0]
        return PipelineMemory(cursor: try cursor(conn, pipeline: pipeline), seenKeys: try row.decode(Int.self, 0), files: try row.decode(Int.self, 1))
    }

    /// Sets the cursor (whatever is stored) and forgets the keys seen, so that everything from
    /// `value` on is read and loaded again.
    package static func setCursor(_ conn: Connection, pipeline: String, value: String, kind: CursorKind) throws {
        try conn.transaction { conn in
            try conn.query("""
                INSERT INTO baton.cursors (pipeline, value, kind, run_id, updated_at) VALUES ($1, $2, $3, NULL, now())
                ON CONFLICT (pipeline) DO UPDATE SET value = excluded.value, kind = excluded.kind, run_id = NULL, updated_at = now()
                """, [pipeline, value, kind.rawValue])
            try conn.query("DELETE FROM baton.cursor_keys WHERE pipeline = $1", [pipeline])
        }
    }

    /// Forgets everything the pipeline remembers: its next run starts from `initial` and
    /// reads every file of its file set again. Returns what was forgotten.
    @discardableResult
    package static func resetCursor(_ conn: Connection, pipeline: String) throws -> PipelineMemory {
        try conn.transaction { conn in
            let before = try memory(conn, pipeline: pipeline)
            try conn.query("DELETE FROM baton.cursors WHERE pipeline = $1", [pipeline])
            try conn.query("DELETE FROM baton.cursor_keys WHERE pipeline = $1", [pipeline])
            try conn.query("DELETE FROM baton.source_files WHERE pipeline = $1", [pipeline])
            return before
        }
    }

    /// Names of the pipeline's runs still `running` (they read with the cursor they started with).
    package static func runningRuns(_ conn: Connection, pipeline: String) throws -> [String] {
        try conn.query("SELECT name FROM baton.runs WHERE pipeline = $1 AND state = 'running' ORDER BY id", [pipeline]).rows.map {
            try $0.decode(String.self, 0)
        }
    }
}
