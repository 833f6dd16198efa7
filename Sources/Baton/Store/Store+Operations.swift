package import BatonPostgres

/// Which finished items a replay puts back in the queue.
package struct ReplaySelection: Sendable, Hashable {
    package var stages: [String]?
    package var keys: [String]?
    /// A substring of the last error (case-insensitive).
    package var errorPattern: String?
    /// Also replay items that succeeded (done or skipped); their downstream items are
    /// deleted and produced again (same keys), so nothing is duplicated.
    package var includeDone: Bool

    package init(stages: [String]? = nil, keys: [String]? = nil, errorPattern: String? = nil, includeDone: Bool = false) {
        self.stages = stages
        self.keys = keys
        self.errorPattern = errorPattern
        self.includeDone = includeDone
    }

    var states: [String] { includeDone ? ["failed", "done", "skipped"] : ["failed"] }
}

/// What a replay changes (or, dry-run, would change).
package struct ReplayPlan: Sendable, Hashable {
    /// Selected items per stage, in stage order of the data.
    package var perStage: [(stage: String, items: Int)]
    /// Items downstream of the selected ones that are deleted to be produced again.
    package var downstream: Int

    package var total: Int { perStage.reduce(0) { $0 + $1.items } }

    package static func == (a: ReplayPlan, b: ReplayPlan) -> Bool {
        a.downstream == b.downstream && a.perStage.map(\.stage) == b.perStage.map(\.stage) && a.perStage.map(\.items) == b.perStage.map(\.items)
    }
    package func hash(into hasher: inout Hasher) { hasher.combine(total) }
}

/// What `baton prune` removed (or would remove).
package struct PruneReport: Sendable, Hashable {
    package var runs: [String]
    package var items: Int
    package init(runs: [String], items: Int) {
        self.runs = runs
        self.items = items
    }
}

extension Store {
    /// Bad records are not put back as they are (their payload is the error wrapper, not a
    /// record): ``replayBadRecords(_:runID:stage:maxAttempts:outcomes:pipeline:)`` re-reads them.
    private static let selectionSQL = """
        SELECT id FROM baton.items
        WHERE run_id = $1 AND state = ANY($2::text[]) AND error_class IS DISTINCT FROM 'bad record'
          AND ($3::text[] IS NULL OR stage = ANY($3::text[]))
          AND ($4::text[] IS NULL OR key = ANY($4::text[]))
          AND ($5::text IS NULL OR strpos(lower(coalesce(last_error, '')), lower($5)) > 0)
        """

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
        // With --done, a selected item downstream of another selected item is deleted and
        // produced again, not replayed: count it once, as downstream.
        let perStage = try conn.query(selection.includeDone ? """
            WITH RECURSIVE down AS (
                SELECT i.id FROM baton.items i WHERE i.parent_id IN (\(selectionSQL))
                UNION
                SELECT i.id FROM baton.items i JOIN down ON i.parent_id = down.id
            )
            SELECT i.stage, count(*) FROM baton.items i
            WHERE i.id IN (\(selectionSQL)) AND i.id NOT IN (SELECT id FROM down)
            GROUP BY 1 ORDER BY min(i.id)
            """ : """
            SELECT i.stage, count(*) FROM baton.items i WHERE i.id IN (\(selectionSQL))
            GROUP BY 1 ORDER BY min(i.id)
            """, selectionParameters(runID: runID, selection)).rows.map { (try $0.decode(String.self, 0), try $0.decode(Int.self, 1)) }
        var downstream = 0
        if selection.includeDone {
            downstream = try conn.query("""
                WITH RECURSIVE down AS (
                    SELECT i.id FROM baton.items i WHERE i.parent_id IN (\(selectionSQL))
                    UNION
                    SELECT i.id FROM baton.items i JOIN down ON i.parent_id = down.id
                )
                SELECT count(*) FROM down
                """, selectionParameters(runID: runID, selection)).rows[0].decode(Int.self, 0)
        }
        return ReplayPlan(perStage: perStage, downstream: downstream)
    }

    /// Puts the selected items back to `pending` (attempts reset, history kept, max attempts
    /// from the current definition), deletes the downstream items of replayed successes so
    /// they are produced again, and reopens the run — in one transaction.
    package static func replay(
        _ conn: Connection, runID: Int64, selection: ReplaySelection, maxAttempts: [String: Int], pipeline: Pipeline
    ) throws -> ReplayPlan {
        try conn.transaction { conn in
            let state = try conn.query("SELECT state FROM baton.runs WHERE id = $1 FOR UPDATE", [runID]).rows.first
                .map { try $0.decode(String.self, 0) }
            guard state != "cancelled" else {
                throw BatonError(.usage, "the run was cancelled; start a new run instead")
            }
            let plan = try planReplay(conn, runID: runID, selection: selection)
            if selection.includeDone {
                try conn.query("""
                    WITH RECURSIVE down AS (
                        SELECT i.id FROM baton.items i WHERE i.parent_id IN (\(selectionSQL))
                        UNION
                        SELECT i.id FROM baton.items i JOIN down ON i.parent_id = down.id
                    ), gone_results AS (
                        DELETE FROM baton.results r WHERE r.run_id = $1 AND r.item_id IN (SELECT id FROM down)
                    )
                    DELETE FROM baton.items WHERE id IN (SELECT id FROM down)
                    """, selectionParameters(runID: runID, selection))
                try conn.query("""
                    DELETE FROM baton.results WHERE run_id = $1 AND item_id IN (\(selectionSQL))
                    """, selectionParameters(runID: runID, selection))
            }
            try conn.query("""
                UPDATE baton.items i
                SET state = 'pending', attempt = 0, available_at = now(), finished_at = NULL, claimed_at = NULL,
                    lease_token = NULL, leased_until = NULL,
                    max_attempts = coalesce(m.max_attempts, i.max_attempts)
                FROM (SELECT * FROM unnest($6::text[], $7::int[]) AS m(stage, max_attempts)) m
                WHERE i.id IN (\(selectionSQL)) AND m.stage = i.stage
                """, selectionParameters(runID: runID, selection) + [
                    PostgresArray(Array(maxAttempts.keys)), PostgresArray(maxAttempts.keys.map { maxAttempts[$0]! }),
                ])
            try reopenRun(conn, runID: runID, pipeline: pipeline)
            return plan
        }
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
            return try conn.query("""
                UPDATE baton.items SET state = 'cancelled', finished_at = now() WHERE run_id = $1 AND state = 'pending'
                """, [runID]).affectedRows
        }
    }

    /// Cancels the pending items of a cancelled run (those produced after the cancel).
    @discardableResult
    package static func cancelPending(_ conn: Connection, runID: Int64) throws -> Int {
        try conn.query("""
            UPDATE baton.items i SET state = 'cancelled', finished_at = now()
            FROM baton.runs r
            WHERE r.id = $1 AND r.state = 'cancelled' AND i.run_id = r.id AND i.state = 'pending'
            """, [runID]).affectedRows
    }

    /// Deletes finished runs (succeeded, failed, cancelled) older than `seconds`, with all
    /// their rows. `dryRun` only counts.
    package static func prune(_ conn: Connection, olderThanSeconds seconds: Double, dryRun: Bool) throws -> PruneReport {
        try conn.transaction { conn in
            let runs = try conn.query("""
                SELECT id, pipeline || '/' || name FROM baton.runs
                WHERE state <> 'running' AND coalesce(finished_at, updated_at) < now() - $1 * interval '1 second'
                ORDER BY id
                """, [seconds]).rows.map { (try $0.decode(Int64.self, 0), try $0.decode(String.self, 1)) }
            guard !runs.isEmpty else { return PruneReport(runs: [], items: 0) }
            let ids = PostgresArray(runs.map { String($0.0) })
            let items = try conn.query("SELECT count(*) FROM baton.items WHERE run_id = ANY($1::bigint[])", [ids]).rows[0].decode(Int.self, 0)
            if !dryRun {
                // Still finished now: a run reopened by a replay in the meantime stays.
                try conn.query("DELETE FROM baton.runs WHERE id = ANY($1::bigint[]) AND state <> 'running'", [ids])
            }
            return PruneReport(runs: runs.map(\.1), items: items)
        }
    }

    /// Streams a run's results (key, payload JSON) in key order.
    package static func results(_ conn: Connection, runID: Int64, _ each: (String, String) throws -> Void) throws {
        let stream = try conn.stream("SELECT key, payload::text FROM baton.results WHERE run_id = $1 ORDER BY key", [runID])
        while let row = try stream.next() {
            try each(try row.decode(String.self, row: 0, column: 0), try row.decode(String.self, row: 0, column: 1))
        }
    }
}
