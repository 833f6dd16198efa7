package import BatonPostgres
package import Foundation

extension Store {
    /// The items of batch `alias` (a batch row in scope) still in it (and, with
    /// `unfinishedOnly`, not finished on their own): its own id range, and the items listed in
    /// `item_ids` (moved in by a retry or a replay). Both are primary-key lookups whatever the
    /// planner believes about the run's partition: the listed ids are looked up one by one
    /// (`OFFSET 0` keeps that lateral subquery from being flattened into a join that scanned
    /// the whole partition per claim when its statistics were stale).
    static func batchMembers(
        _ alias: String, run: String = "$1", columns: String = "m.id, m.key, m.payload, m.parent_id", unfinishedOnly: Bool = true
    ) -> String {
        let unfinished = unfinishedOnly ? " AND m.outcome IS NULL" : ""
        return """
            SELECT \(columns) FROM baton.item_rows m
            WHERE m.run_id = \(run) AND m.id >= \(alias).id << 21 AND m.id < (\(alias).id + 1) << 21
              AND m.batch_id = \(alias).id\(unfinished)
            UNION ALL
            SELECT listed_member.* FROM unnest(\(alias).item_ids) AS listed(id)
            CROSS JOIN LATERAL (
                SELECT \(columns) FROM baton.item_rows m
                WHERE m.run_id = \(run) AND m.id = listed.id AND m.batch_id = \(alias).id\(unfinished)
                OFFSET 0
            ) listed_member
            """
    }

    /// Claims pending batches of a run's stage, up to about `limit` items, in one statement
    /// (`FOR UPDATE SKIP LOCKED`: concurrent workers never wait on each other or take the same
    /// batch): they become `running` under a fresh lease token, and their items come back.
    package static func claim(
        _ conn: Connection, runID: Int64, stage: String, limit: Int, lease: Duration, worker: String, token: UUID = UUID()
    ) throws -> Claim {
        let result = try conn.query("""
            WITH candidates AS (
                SELECT id, size FROM baton.batches
                WHERE run_id = $1 AND stage = $2 AND state = 'pending' AND available_at <= now()
                  AND EXISTS (SELECT 1 FROM baton.runs WHERE id = $1 AND state = 'running')
                ORDER BY available_at, id
                LIMIT 16
                FOR UPDATE SKIP LOCKED
            ), picked AS (
                SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id) - size AS before FROM candidates) c
                WHERE before < $3
            ), claimed AS (
                UPDATE baton.batches b
                SET state = 'running', attempt = b.attempt + 1, lease_token = $4,
                    leased_until = now() + $5 * interval '1 millisecond', leased_by = $6, claimed_at = now()
                FROM picked WHERE b.id = picked.id
                RETURNING b.id, b.attempt, b.max_attempts, b.item_ids
            )
            SELECT c.id, c.attempt, c.max_attempts, i.id, i.key, i.payload, i.parent_id
            FROM claimed c
            LEFT JOIN LATERAL (\(Store.batchMembers("c"))) i ON true
            ORDER BY c.id, i.id
            """, [runID, stage, limit, token, Int(lease.milliseconds), worker])
        var batches: [Int64] = []
        var items: [ClaimedItem] = []
        items.reserveCapacity(result.rowCount)
        for row in result.rows {
            let batch = try row.decode(Int64.self, 0)
            if batches.last != batch { batches.append(batch) }
            // A batch with no item left still comes back (and is closed by its commit).
            guard let id = try row.decode(Int64?.self, 3) else { continue }
            items.append(ClaimedItem(
                id: id, batchID: batch, key: try row.decode(String.self, 4),
                payload: try row.decode(String.self, 5), attempt: try row.decode(Int.self, 1),
                maxAttempts: try row.decode(Int.self, 2), parentID: try row.decode(Int64?.self, 6), leaseToken: token
            ))
        }
        return Claim(token: token, batches: batches, items: items)
    }

    /// Extends the leases held under the given tokens (the heartbeat). Returns how many
    /// batches' leases were extended.
    @discardableResult
    package static func renewLeases(_ conn: Connection, tokens: [UUID], lease: Duration) throws -> Int {
        guard !tokens.isEmpty else { return 0 }
        // SKIP LOCKED: a row locked right now is being committed by its worker; waiting for it
        // would chain this statement into that worker's lock waits (and deadlocks).
        return try conn.query("""
            WITH mine AS (
                SELECT id FROM baton.batches
                WHERE state = 'running' AND lease_token = ANY($1::uuid[])
                FOR UPDATE SKIP LOCKED
            )
            UPDATE baton.batches b SET leased_until = now() + $2 * interval '1 millisecond'
            FROM mine WHERE b.id = mine.id
            """, [PostgresArray(tokens.map(\.uuidString)), Int(lease.milliseconds)]).affectedRows
    }

    /// Gives up leases without using an attempt (shutdown, a lost claim answer): the batches
    /// are `pending` again at once. Returns how many items were given back.
    @discardableResult
    package static func releaseLeases(_ conn: Connection, tokens: [UUID]) throws -> Int {
        guard !tokens.isEmpty else { return 0 }
        let released = try conn.query("""
            UPDATE baton.batches
            SET state = 'pending', attempt = greatest(attempt - 1, 0), lease_token = NULL, leased_until = NULL,
                available_at = now()
            WHERE state = 'running' AND lease_token = ANY($1::uuid[])
            RETURNING size
            """, [PostgresArray(tokens.map(\.uuidString))])
        return try released.rows.reduce(0) { $0 + (try $1.decode(Int.self, 0)) }
    }

    /// Returns batches whose lease expired (their worker died or stalled) to `pending`, or
    /// fails their items when they are out of attempts (``ItemState`` decides, per batch);
    /// records an attempt for every item. Any worker may run it; `SKIP LOCKED` keeps
    /// concurrent rescuers apart. Returns how many items were rescued.
    @discardableResult
    package static func rescueExpired(_ conn: Connection, runID: Int64? = nil, limit: Int = 100) throws -> Int {
        try rescueExpiredByStage(conn, runID: runID, limit: limit).values.reduce(0, +)
    }

    /// ``rescueExpired(_:runID:limit:)``, counted per stage of the rescued items.
    package static func rescueExpiredByStage(_ conn: Connection, runID: Int64? = nil, limit: Int = 100) throws -> [String: Int] {
        try conn.transaction { conn in
            let expired = try conn.query("""
                SELECT id, run_id, attempt, max_attempts, coalesce(leased_by, '?') FROM baton.batches
                WHERE state = 'running' AND leased_until < now() AND ($1::bigint IS NULL OR run_id = $1)
                ORDER BY leased_until
                LIMIT $2
                FOR UPDATE SKIP LOCKED
                """, [runID, limit]).rows.map { row in
                    (id: try row.decode(Int64.self, 0), run: try row.decode(Int64.self, 1), attempt: try row.decode(Int.self, 2),
                     max: try row.decode(Int.self, 3), worker: try row.decode(String.self, 4))
                }
            guard !expired.isEmpty else { return [:] }
            let next = expired.map { ItemState.running.applying(.leaseExpired(attempt: $0.attempt, maxAttempts: $0.max)) ?? .failed }
            let moved = try conn.query("""
                WITH u AS (
                    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, next, error)
                ), items AS (
                    UPDATE baton.item_rows i
                    SET outcome = CASE WHEN u.next = 'failed' THEN 'failed' END,
                        error = u.error, error_class = 'lease expired'
                    FROM u JOIN baton.batches b ON b.id = u.id, LATERAL (\(Store.batchMembers("b", run: "b.run_id"))) x
                    WHERE i.run_id = b.run_id AND i.id = x.id
                    RETURNING i.id, i.run_id, i.batch_id, i.stage, u.next
                ), history AS (
                    INSERT INTO baton.attempts (item_id, run_id, attempt, worker, started_at, outcome, error_class, error)
                    SELECT items.id, items.run_id, b.attempt, b.leased_by, b.claimed_at,
                           CASE WHEN items.next = 'failed' THEN 'failed' ELSE 'lease_expired' END, 'lease expired', u.error
                    FROM items JOIN baton.batches b ON b.id = items.batch_id JOIN u ON u.id = items.batch_id
                ), batches AS (
                    UPDATE baton.batches b
                    SET state = CASE WHEN u.next = 'failed' THEN 'done' ELSE 'pending' END,
                        finished_at = CASE WHEN u.next = 'failed' THEN now() END,
                        failed = CASE WHEN u.next = 'failed' THEN b.size ELSE 0 END,
                        lease_token = NULL, leased_until = NULL, available_at = now()
                    FROM u WHERE b.id = u.id
                )
                SELECT stage, count(*) FROM items GROUP BY 1
                """, [
                    PostgresArray(expired.map { String($0.id) }), PostgresArray(next.map(\.rawValue)),
                    PostgresArray(expired.map { "lease expired: worker \($0.worker) stopped renewing it" }),
                ])
            var counts: [String: Int] = [:]
            for row in moved.rows { counts[try row.decode(String.self, 0)] = try row.decode(Int.self, 1) }
            return counts
        }
    }
}
