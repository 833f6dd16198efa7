package import BatonPostgres

extension Store {
    /// The selected items' ids (through the `baton.items` view: states as users see them).
    /// Bad records are not put back as they are (their payload is the error wrapper, not a
    /// record): ``replayBadRecords(_:runID:stage:maxAttempts:outcomes:pipeline:)`` re-reads them.
    private static let selectionSQL = """
        SELECT id FROM baton.items
        WHERE run_id = $1 AND state = ANY($2::text[]) AND error_class IS DISTINCT FROM 'bad record'
          AND ($3::text[] IS NULL OR stage = ANY($3::text[]))
          AND ($4::text[] IS NULL OR key = ANY($4::text[]))
          AND ($5::text IS NULL OR strpos(lower(coalesce(last_error, '')), lower($5)) > 0)
        """

    /// Items produced (directly or not) from the selected ones.
    private static let downstreamSQL = """
        WITH RECURSIVE down AS (
            SELECT i.id FROM baton.item_rows i WHERE i.run_id = $1 AND i.parent_id IN (\(selectionSQL))
            UNION
            SELECT i.id FROM baton.item_rows i JOIN down ON i.parent_id = down.id WHERE i.run_id = $1
        )
        """

    /// After ``downstreamSQL``: the selected items and their downstream ones, the stored items
    /// a `--done` replay takes away (and with them their fused stages' members).
    private static let goneSQL = "SELECT id FROM down UNION SELECT id FROM (\(selectionSQL)) s"

    private static func selectionParameters(runID: Int64, _ selection: ReplaySelection) -> [any PostgresEncodable] {
        [
            runID, PostgresArray(selection.states),
            selection.stages.map { PostgresArray($0) }.map { $0.postgresValue } ?? PostgresValue.null,
            selection.keys.map { PostgresArray($0) }.map { $0.postgresValue } ?? PostgresValue.null,
            selection.errorPattern,
        ]
    }

    /// Counts what a replay would do, changing nothing.
    package static func planReplay(_ conn: Connection, runID: Int64, selection: ReplaySelection) throws -> ReplayPlan {
        try analyzeIfUnplanned(conn, runID: runID)
        // With --done, a selected item downstream of another selected item is deleted and
        // produced again, not replayed: count it once, as downstream.
        let perStage = try conn.query(selection.includeDone ? """
            \(downstreamSQL)
            SELECT i.stage, count(*) FROM baton.item_rows i
            WHERE i.run_id = $1 AND i.id IN (\(selectionSQL)) AND i.id NOT IN (SELECT id FROM down)
            GROUP BY 1 ORDER BY min(i.id)
            """ : """
            SELECT i.stage, count(*) FROM baton.item_rows i WHERE i.run_id = $1 AND i.id IN (\(selectionSQL))
            GROUP BY 1 ORDER BY min(i.id)
            """, selectionParameters(runID: runID, selection)).rows.map { (try $0.decode(String.self, 0), try $0.decode(Int.self, 1)) }
        var downstream = 0
        if selection.includeDone {
            // Stored downstream items, and the members of fused stages that came from them.
            downstream = try conn.query("""
                \(downstreamSQL), gone AS (\(goneSQL))
                SELECT (SELECT count(*) FROM down)
                     + (SELECT count(*) FROM baton.batches v, unnest(v.fused_heads) h
                        WHERE v.run_id = $1 AND v.fused_heads IS NOT NULL AND h IN (SELECT id FROM gone))
                """, selectionParameters(runID: runID, selection)).rows[0].decode(Int.self, 0)
        }
        return ReplayPlan(perStage: perStage, downstream: downstream)
    }

    /// Puts the selected items back to `pending` in new batches (attempts reset, history
    /// kept, max attempts and batch sizes from the current definition), deletes the
    /// downstream items of replayed successes so they are produced again, and reopens the
    /// run, in one transaction.
    package static func replay(
        _ conn: Connection, runID: Int64, selection: ReplaySelection, maxAttempts: [String: Int], pipeline: Pipeline
    ) throws -> ReplayPlan {
        try conn.transaction { conn in
            let state = try conn.query("SELECT state FROM baton.runs WHERE id = $1 FOR NO KEY UPDATE", [runID]).rows.first
                .map { try $0.decode(String.self, 0) }
            guard state != "cancelled" else {
                throw BatonError(.usage, "the run was cancelled; start a new run instead")
            }
            let plan = try planReplay(conn, runID: runID, selection: selection)
            let parameters = selectionParameters(runID: runID, selection)
            // Batches whose members change, recounted at the end.
            try conn.execute("CREATE TEMP TABLE IF NOT EXISTS baton_touched (batch bigint) ON COMMIT DROP")
            if selection.includeDone {
                // Fused stages keep counts only: members that came from an item replayed or
                // deleted here leave them (before `down` is deleted, while it can be found).
                // The gone ids in an indexed table: hash and index joins, whatever their number.
                try conn.execute("CREATE TEMP TABLE IF NOT EXISTS baton_gone (id bigint PRIMARY KEY) ON COMMIT DROP")
                try conn.query("""
                    \(downstreamSQL)
                    INSERT INTO baton_gone \(goneSQL) ON CONFLICT DO NOTHING
                    """, parameters)
                try conn.query("""
                    WITH touched AS (
                        SELECT DISTINCT v.id FROM baton.batches v CROSS JOIN LATERAL unnest(v.fused_heads) AS h(id)
                        JOIN baton_gone g ON g.id = h.id
                        WHERE v.run_id = $1 AND v.fused_heads IS NOT NULL
                    ), recounted AS (
                        SELECT v.id,
                               array(SELECT h FROM unnest(v.fused_heads) h WHERE NOT EXISTS (SELECT 1 FROM baton_gone g WHERE g.id = h)) AS heads,
                               array(SELECT h FROM unnest(v.fused_skipped) h WHERE NOT EXISTS (SELECT 1 FROM baton_gone g WHERE g.id = h)) AS skipped
                        FROM baton.batches v JOIN touched t ON t.id = v.id
                    )
                    UPDATE baton.batches v
                    SET fused_heads = c.heads, fused_skipped = c.skipped, size = cardinality(c.heads),
                        skipped = cardinality(c.skipped), done = cardinality(c.heads) - cardinality(c.skipped)
                    FROM recounted c WHERE v.id = c.id
                    """, [runID])
                try conn.query("""
                    \(downstreamSQL), gone_results AS (
                        DELETE FROM baton.results r WHERE r.run_id = $1 AND r.item_id IN (SELECT id FROM down)
                    ), gone AS (
                        DELETE FROM baton.item_rows i WHERE i.run_id = $1 AND i.id IN (SELECT id FROM down) RETURNING i.batch_id
                    )
                    INSERT INTO baton_touched SELECT DISTINCT batch_id FROM gone
                    """, parameters)
                try conn.query("DELETE FROM baton.results WHERE run_id = $1 AND item_id IN (\(selectionSQL))", parameters)
            }
            let stages = pipeline.stages
            try conn.query("""
                WITH sel AS (
                    SELECT i.id, i.stage, i.batch_id FROM baton.item_rows i WHERE i.run_id = $1 AND i.id IN (\(selectionSQL))
                ), touched AS (
                    INSERT INTO baton_touched SELECT DISTINCT batch_id FROM sel
                ), grouped AS (
                    SELECT s.stage, array_agg(s.id ORDER BY s.id) AS ids
                    FROM (SELECT sel.*, (row_number() OVER (PARTITION BY sel.stage ORDER BY sel.id) - 1)
                                        / coalesce(m.batch_size, 200) AS g
                          FROM sel LEFT JOIN unnest($6::text[], $8::int[]) AS m(stage, batch_size) ON m.stage = sel.stage) s
                    GROUP BY s.stage, s.g
                ), made AS (
                    INSERT INTO baton.batches (id, run_id, stage, max_attempts, item_ids, size)
                    SELECT nextval('baton.batch_ids'), $1, g.stage, coalesce(m.max_attempts, 3), g.ids, cardinality(g.ids)
                    FROM grouped g LEFT JOIN unnest($6::text[], $7::int[]) AS m(stage, max_attempts) ON m.stage = g.stage
                    RETURNING id, item_ids
                )
                UPDATE baton.item_rows i SET batch_id = made.id, outcome = NULL
                FROM made, unnest(made.item_ids) AS member(id)
                WHERE i.run_id = $1 AND i.id = member.id
                """, parameters + [
                    PostgresArray(stages.map(\.name)), PostgresArray(stages.map { maxAttempts[$0.name] ?? $0.retry.maxAttempts }),
                    PostgresArray(stages.map(\.batchSize)),
                ])
            try recountTouchedBatches(conn, runID: runID)
            try reopenRun(conn, runID: runID, pipeline: pipeline)
            return plan
        }
    }

    /// Recomputes the counts of the batches in `baton_touched` from their members; a pending
    /// batch left empty is closed (nothing to claim).
    static func recountTouchedBatches(_ conn: Connection, runID: Int64) throws {
        try conn.query("""
            UPDATE baton.batches b
            SET size = c.size, skipped = c.skipped, failed = c.failed,
                done = CASE WHEN b.state = 'done' THEN c.size - c.skipped - c.failed ELSE 0 END,
                state = CASE WHEN c.size = 0 AND b.state = 'pending' THEN 'done' ELSE b.state END,
                finished_at = CASE WHEN c.size = 0 AND b.state = 'pending' THEN now() ELSE b.finished_at END
            FROM (
                SELECT t.id, count(x.id)::int AS size,
                       (count(x.id) FILTER (WHERE x.outcome = 'skipped' OR x.id = ANY (t.skipped_ids)))::int AS skipped,
                       (count(x.id) FILTER (WHERE x.outcome = 'failed'))::int AS failed
                FROM baton.batches t
                LEFT JOIN LATERAL (\(Store.batchMembers("t", columns: "m.id, m.outcome", unfinishedOnly: false))) x ON true
                WHERE t.id IN (SELECT batch FROM baton_touched)
                GROUP BY t.id
            ) c
            WHERE b.id = c.id
            """, [runID])
    }

    /// Cancels a running run: pending items become `cancelled`, running ones finish. Returns
    /// how many items were cancelled, or nil if the run was not running (a finished run keeps
    /// its outcome).
    @discardableResult
    package static func cancel(_ conn: Connection, runID: Int64) throws -> Int? {
        try conn.transaction { conn in
            let updated = try conn.query("""
                UPDATE baton.runs SET state = 'cancelled', finished_at = coalesce(finished_at, now()), updated_at = now(),
                       seed_done = true
                WHERE id = $1 AND state = 'running'
                """, [runID]).affectedRows
            guard updated == 1 else { return nil }
            // A run cancelled while seeded in bulk: its items become visible, and cancelled.
            try conn.query("SELECT baton.release_bulk_seed($1)", [runID], timeout: Store.bulkReleaseTimeout)
            return try cancelBatches(conn, runID: runID)
        }
    }

    /// Cancels the pending items of a cancelled run (those produced after the cancel).
    @discardableResult
    package static func cancelPending(_ conn: Connection, runID: Int64) throws -> Int {
        guard try conn.query("SELECT 1 FROM baton.runs WHERE id = $1 AND state = 'cancelled'", [runID]).rowCount == 1 else { return 0 }
        return try cancelBatches(conn, runID: runID)
    }

    private static func cancelBatches(_ conn: Connection, runID: Int64) throws -> Int {
        try conn.query("""
            WITH cancelled AS (
                UPDATE baton.batches SET state = 'cancelled', finished_at = now()
                WHERE run_id = $1 AND state = 'pending' RETURNING size
            )
            SELECT coalesce(sum(size), 0)::bigint FROM cancelled
            """, [runID]).rows[0].decode(Int.self, 0)
    }

    /// Deletes finished runs (succeeded, failed, cancelled) older than `seconds`, with all
    /// their rows (a run's item table is dropped whole). `dryRun` only counts.
    package static func prune(_ conn: Connection, olderThanSeconds seconds: Double, dryRun: Bool) throws -> PruneReport {
        let report = try conn.transaction { conn -> (PruneReport, [Int64]) in
            let runs = try conn.query("""
                SELECT id, pipeline || '/' || name FROM baton.runs
                WHERE state <> 'running' AND coalesce(finished_at, updated_at) < now() - $1 * interval '1 second'
                ORDER BY id
                FOR UPDATE
                """, [seconds]).rows.map { (try $0.decode(Int64.self, 0), try $0.decode(String.self, 1)) }
            guard !runs.isEmpty else { return (PruneReport(runs: [], items: 0), []) }
            let ids = PostgresArray(runs.map { String($0.0) })
            let items = try conn.query("SELECT count(*) FROM baton.item_rows WHERE run_id = ANY($1::bigint[])", [ids]).rows[0].decode(Int.self, 0)
            if !dryRun {
                try conn.query("DELETE FROM baton.runs WHERE id = ANY($1::bigint[]) AND state <> 'running'", [ids])
            }
            return (PruneReport(runs: runs.map(\.1), items: items), runs.map(\.0))
        }
        if !dryRun { try dropOrphanedPartitions(conn) }
        return report.0
    }

    /// Drops the item tables of runs that no longer exist (pruned, or a prune interrupted
    /// before it got there): detached without blocking other runs, then dropped.
    package static func dropOrphanedPartitions(_ conn: Connection) throws {
        let orphans = try conn.query("""
            SELECT c.relname FROM pg_inherits h
            JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class p ON p.oid = h.inhparent
            JOIN pg_namespace n ON n.oid = p.relnamespace
            WHERE n.nspname = 'baton' AND p.relname = 'item_rows'
              AND NOT EXISTS (SELECT 1 FROM baton.runs r WHERE 'item_rows_' || r.id = c.relname)
            """).rows.map { try $0.decode(String.self, 0) }
        for table in orphans {
            let name = try conn.quoteIdentifier(table)
            try conn.execute("ALTER TABLE baton.item_rows DETACH PARTITION baton.\(name) CONCURRENTLY")
            try conn.execute("DROP TABLE IF EXISTS baton.\(name)")
        }
        // Detached by an interrupted prune, never dropped.
        for row in try conn.query("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'baton' AND c.relkind = 'r' AND c.relname ~ '^item_rows_[0-9]+$' AND NOT c.relispartition
              AND NOT EXISTS (SELECT 1 FROM baton.runs r WHERE 'item_rows_' || r.id = c.relname)
            """).rows {
            try conn.execute("DROP TABLE IF EXISTS baton.\(try conn.quoteIdentifier(try row.decode(String.self, 0)))")
        }
    }

    /// Streams a run's results (key, payload JSON) in key order.
    package static func results(_ conn: Connection, runID: Int64, _ each: (String, String) throws -> Void) throws {
        let stream = try conn.stream("SELECT key, payload::text FROM baton.results WHERE run_id = $1 ORDER BY key", [runID])
        while let row = try stream.next() {
            try each(try row.decode(String.self, row: 0, column: 0), try row.decode(String.self, row: 0, column: 1))
        }
    }

    /// Gives the run's item table statistics if it has none yet, or only from when it was a
    /// fraction of its size. A run replayed just after it finished was not analyzed yet: its
    /// downstream query was planned for 1 row, as 20 000 × 20 000 nested loops, and `replay
    /// --done` of 20 000 items gave up after 30 s ("database unavailable").
    static func analyzeIfUnplanned(_ conn: Connection, runID: Int64) throws {
        let stale = try conn.query("""
            SELECT coalesce(last_analyze, last_autoanalyze) IS NULL OR n_mod_since_analyze > greatest(n_live_tup / 2, 1000)
            FROM pg_stat_user_tables WHERE schemaname = 'baton' AND relname = $1
            """, ["item_rows_\(runID)"]).rows.first.map { try $0.decode(Bool.self, 0) } ?? false
        if stale { try conn.execute("ANALYZE baton.item_rows_\(runID)") }
    }
}
