package import BatonPostgres
import BatonJQ
import Foundation

extension Store {
    static let runColumns = """
        id, pipeline, name, state, seed_done, seed_position, seed_line, seeded, definition_text, definition_hash, file,
        created_at, finished_at, seed_state, extract(epoch FROM seed_finished_at - seed_started_at)::float8,
        source_identity::text, source_total, working_directory, bulk_max_attempts IS NOT NULL
        """

    static func decodeRun(_ row: Row) throws -> RunRecord {
        RunRecord(
            id: try row.decode(Int64.self, 0),
            pipeline: try row.decode(String.self, 1),
            name: try row.decode(String.self, 2),
            state: RunRecord.State(rawValue: try row.decode(String.self, 3)) ?? .running,
            seedDone: try row.decode(Bool.self, 4),
            seedPosition: try row.decode(Int64.self, 5),
            seedLine: try row.decode(Int64.self, 6),
            seedState: try row.decode(String?.self, 13),
            seeded: try row.decode(Int64.self, 7),
            definitionText: try row.decode(String?.self, 8),
            definitionHash: try row.decode(String.self, 9),
            file: try row.decode(String?.self, 10),
            createdAt: try row.decode(Date.self, 11),
            finishedAt: try row.decode(Date?.self, 12),
            source: SourceIdentity(json: try row.decode(String?.self, 15)),
            sourceTotal: try row.decode(Int64?.self, 16),
            workingDirectory: try row.decode(String?.self, 17),
            seedSeconds: try row.decode(Double?.self, 14),
            isSeedingInBulk: try row.decode(Bool.self, 18)
        )
    }

    /// Creates the run `name` of `pipeline`, or returns the existing one (a resume): never a
    /// second run of the same name. `created` says which. `bulk`: a created run is seeded in
    /// bulk (migration 9): its item table starts alone and without indexes.
    /// A file set's next run reads the files no run read before, an incremental source's the
    /// records past the stored cursor: what a run reads is only known once the runs before it
    /// are done reading. Two new runs reading at once both read every new file (or record):
    /// the second is refused while the first still seeds (taken in turn under an advisory lock,
    /// so two that start at the same moment are told apart too).
    private static func refuseWhileAnotherRunReads(_ conn: Connection, pipeline: Pipeline) throws {
        try conn.query("SELECT pg_advisory_xact_lock($1)", [Int64(bitPattern: StableHash.fnv1a64("reading\u{1}\(pipeline.name)"))])
        guard let other = try conn.query("""
            SELECT \(runColumns) FROM baton.runs WHERE pipeline = $1 AND state = 'running' AND NOT seed_done ORDER BY id LIMIT 1
            """, [pipeline.name]).rows.first.map(decodeRun) else { return }
        let what = pipeline.source.incremental != nil ? "from the stored cursor" : "the files no run read yet"
        throw BatonError(.temporary, """
            pipeline \(pipeline.name): run \(other.name) is still reading its source (\(other.seeded) records seeded so far); \
            a new run reads \(what), so two reading at once would both read the same new records. \
            Wait for its seeding to end (baton status \(other.name)), or resume it if its process is gone \
            (baton resume \(other.name)). Cancelling it (baton cancel \(other.name)) lets new runs start, \
            but the file it was in the middle of is then read again from its start, its first records a second time
            """)
    }

    package static func createOrFindRun(_ conn: Connection, pipeline: Pipeline, name: String, bulk: Bool = false) throws -> (run: RunRecord, created: Bool) {
        let stages: [JSON] = pipeline.stages.map { stage in
            JSON.object([
                ("name", .string(stage.name)), ("kind", .string(stage.transform.kindName)), ("hash", .string(stage.definitionHash)),
            ])
        }
        let file: JSON = pipeline.file.map { JSON.string($0) } ?? .null
        let summary = JSON.object([("pipeline", .string(pipeline.name)), ("file", file), ("stages", .array(stages))])
        // Looked up first: an INSERT … ON CONFLICT would wait for any open transaction that
        // updated the run's row (another process's seeding, perhaps paused in the middle).
        if let row = try conn.query("SELECT \(runColumns) FROM baton.runs WHERE pipeline = $1 AND name = $2", [pipeline.name, name]).rows.first {
            return (try decodeRun(row), false)
        }
        let created = try conn.transaction { conn -> RunRecord? in
            if pipeline.source.definition.isSharedBetweenRuns || pipeline.source.incremental != nil {
                try refuseWhileAnotherRunReads(conn, pipeline: pipeline)
            }
            let inserted = try conn.query("""
                INSERT INTO baton.runs (pipeline, name, definition, definition_text, definition_hash, file)
                VALUES ($1, $2, $3::jsonb, $4, $5, $6)
                ON CONFLICT (pipeline, name) DO NOTHING
                RETURNING \(runColumns)
                """, [pipeline.name, name, summary.serialized, pipeline.definitionText, pipeline.definitionHash, pipeline.file])
            guard let row = inserted.rows.first else { return nil }
            let run = try decodeRun(row)
            if bulk {
                // Its own item table, alone until seeding ends (``Migrations/bulkSeed``).
                try conn.pipeline([
                    .init("SELECT baton.add_bulk_run_table($1)", [run.id]),
                    .init("UPDATE baton.runs SET bulk_max_attempts = $2 WHERE id = $1", [run.id, pipeline.stages[0].retry.maxAttempts]),
                ])
            } else {
                // The run's own item table, attached in the same transaction.
                try conn.query("SELECT baton.add_run_partition($1)", [run.id])
            }
            return run
        }
        if let created { return (created, true) }
        let existing = try conn.query("SELECT \(runColumns) FROM baton.runs WHERE pipeline = $1 AND name = $2", [pipeline.name, name])
        guard let row = existing.rows.first else {
            throw BatonError(.temporary, "run \(name) was deleted while being resumed; try again")
        }
        return (try decodeRun(row), false)
    }

    /// The run `name` of `pipeline`, if it exists.
    package static func findRun(_ conn: Connection, pipeline: String, name: String) throws -> RunRecord? {
        try conn.query("SELECT \(runColumns) FROM baton.runs WHERE pipeline = $1 AND name = $2", [pipeline, name]).rows.first.map(decodeRun)
    }

    package static func run(_ conn: Connection, id: Int64) throws -> RunRecord? {
        try conn.query("SELECT \(runColumns) FROM baton.runs WHERE id = $1", [id]).rows.first.map(decodeRun)
    }

    /// Finds a run by id or by name (names are unique per pipeline; a name used by two
    /// pipelines must be given as an id or `pipeline/name`).
    package static func findRun(_ conn: Connection, _ reference: String) throws -> RunRecord {
        if let id = Int64(reference), let run = try run(conn, id: id) { return run }
        var matches = try conn.query("SELECT \(runColumns) FROM baton.runs WHERE name = $1 ORDER BY id", [reference]).rows.map(decodeRun)
        if matches.isEmpty, let slash = reference.firstIndex(of: "/") {
            let pipeline = String(reference[..<slash])
            let name = String(reference[reference.index(after: slash)...])
            matches = try conn.query("SELECT \(runColumns) FROM baton.runs WHERE pipeline = $1 AND name = $2", [pipeline, name]).rows.map(decodeRun)
        }
        guard let first = matches.first else {
            throw BatonError(.usage, "no run named \(reference) (see `baton status` for recent runs)")
        }
        guard matches.count == 1 else {
            let names = matches.map { "\($0.pipeline)/\($0.name) (id \($0.id))" }.joined(separator: ", ")
            throw BatonError(.usage, "run name \(reference) is ambiguous: \(names); give the id or pipeline/name")
        }
        return first
    }

    /// Runs, newest first.
    package static func recentRuns(_ conn: Connection, limit: Int) throws -> [RunRecord] {
        try conn.query("SELECT \(runColumns) FROM baton.runs ORDER BY id DESC LIMIT $1", [limit]).rows.map(decodeRun)
    }

    /// Runs in state `running`, oldest first (for `baton work`).
    package static func activeRuns(_ conn: Connection) throws -> [RunRecord] {
        try conn.query("SELECT \(runColumns) FROM baton.runs WHERE state = 'running' ORDER BY id").rows.map(decodeRun)
    }

    /// What is left of a run.
    package static func progress(_ conn: Connection, runID: Int64) throws -> RunProgress {
        let row = try conn.query("""
            SELECT
              coalesce(sum(size) FILTER (WHERE state = 'pending' AND available_at <= now()), 0)::bigint,
              coalesce(sum(size) FILTER (WHERE state = 'pending' AND available_at > now()), 0)::bigint,
              extract(epoch FROM min(available_at) FILTER (WHERE state = 'pending' AND available_at > now()) - now())::float8,
              coalesce(sum(size) FILTER (WHERE state = 'running'), 0)::bigint,
              (SELECT seed_done FROM baton.runs WHERE id = $1)
            FROM baton.batches WHERE run_id = $1 AND state IN ('pending', 'running')
            """, [runID]).rows[0]
        return RunProgress(
            ready: try row.decode(Int.self, 0),
            delayed: try row.decode(Int.self, 1),
            nextAvailableIn: try row.decode(Double?.self, 2),
            running: try row.decode(Int.self, 3),
            seedDone: try row.decode(Bool?.self, 4) ?? true
        )
    }

    /// Marks a complete run `succeeded` (no failed item) or `failed`. Does nothing if items
    /// are still pending or running, or the run is no longer `running`. Returns the state.
    @discardableResult
    package static func finishRunIfComplete(_ conn: Connection, runID: Int64) throws -> RunRecord.State? {
        // Lock the run first, then look at its items in a later statement (a fresh snapshot):
        // a replay reopening the run at the same moment is then seen, not overwritten.
        try conn.transaction { conn in
            // Durable even where the server acknowledges commits before they are on disk
            // (synchronous_commit = off): flushing this commit flushes every earlier one, so
            // a run reported finished stays finished after a crash.
            try conn.execute("SET LOCAL synchronous_commit = on")
            guard try conn.query("SELECT 1 FROM baton.runs WHERE id = $1 AND state = 'running' FOR NO KEY UPDATE", [runID]).rowCount == 1 else {
                return nil
            }
            return try finishLockedRun(conn, runID: runID)
        }
    }

    private static func finishLockedRun(_ conn: Connection, runID: Int64) throws -> RunRecord.State? {
        let result = try conn.query("""
            UPDATE baton.runs r
            SET state = CASE WHEN EXISTS (SELECT 1 FROM baton.batches WHERE run_id = r.id AND failed > 0)
                             THEN 'failed' ELSE 'succeeded' END,
                finished_at = now(), updated_at = now()
            WHERE r.id = $1 AND r.state = 'running' AND r.seed_done
              AND NOT EXISTS (SELECT 1 FROM baton.batches WHERE run_id = r.id AND state IN ('pending', 'running'))
            RETURNING r.state
            """, [runID])
        guard let row = result.rows.first else { return nil }
        return RunRecord.State(rawValue: try row.decode(String.self, 0))
    }

    /// Stages that still have pending or running items in a run.
    package static func unfinishedStages(_ conn: Connection, runID: Int64) throws -> [String] {
        try conn.query("""
            SELECT DISTINCT stage FROM baton.batches WHERE run_id = $1 AND state IN ('pending', 'running') ORDER BY 1
            """, [runID]).rows.map { try $0.decode(String.self, 0) }
    }

    /// Sets a run back to `running` (resume, replay) and refreshes its stored definition.
    package static func reopenRun(_ conn: Connection, runID: Int64, pipeline: Pipeline?) throws {
        if let pipeline {
            try conn.query("""
                UPDATE baton.runs SET state = 'running', finished_at = NULL, updated_at = now(),
                       definition_text = $2, definition_hash = $3, file = coalesce($4, file)
                WHERE id = $1
                """, [runID, pipeline.definitionText, pipeline.definitionHash,
                      pipeline.file.map { absolutePath($0, from: FileManager.default.currentDirectoryPath) }])
        } else {
            try conn.query("UPDATE baton.runs SET state = 'running', finished_at = NULL, updated_at = now() WHERE id = $1", [runID])
        }
    }
}
