package import BatonPostgres
package import Foundation

/// An item a worker holds a lease on.
package struct ClaimedItem: Sendable, Hashable {
    package var id: Int64
    package var key: String
    package var payload: String
    /// 1 on the first attempt.
    package var attempt: Int
    package var maxAttempts: Int
    package var parentID: Int64?
    /// The lease: only its holder may complete or fail the item.
    package var leaseToken: UUID
}

extension Store {
    static let claimSQL = """
        WITH next AS (
            SELECT id FROM baton.items
            WHERE run_id = $1 AND stage = $2 AND state = 'pending' AND available_at <= now()
              AND EXISTS (SELECT 1 FROM baton.runs WHERE id = $1 AND state = 'running')
            ORDER BY available_at, id
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        )
        UPDATE baton.items i
        SET state = 'running', attempt = i.attempt + 1, lease_token = $4,
            leased_until = now() + $5 * interval '1 millisecond', leased_by = $6, claimed_at = now()
        FROM next
        WHERE i.id = next.id
        RETURNING i.id, i.key, i.payload::text, i.attempt, i.max_attempts, i.parent_id
        """

    /// Claims up to `limit` claimable items of a run's stage in one short statement
    /// (`FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on each other or take the
    /// same item): they become `running` under a fresh lease token.
    package static func claim(
        _ conn: Connection, runID: Int64, stage: String, limit: Int, lease: Duration, worker: String, token: UUID = UUID()
    ) throws -> [ClaimedItem] {
        let result = try conn.query(claimSQL, [runID, stage, limit, token, Int(lease.milliseconds), worker])
        return try result.rows.map { row in
            ClaimedItem(
                id: try row.decode(Int64.self, 0),
                key: try row.decode(String.self, 1),
                payload: try row.decode(String.self, 2),
                attempt: try row.decode(Int.self, 3),
                maxAttempts: try row.decode(Int.self, 4),
                parentID: try row.decode(Int64?.self, 5),
                leaseToken: token
            )
        }
    }

    /// Extends the leases of items still held under the given tokens (the heartbeat).
    /// Returns how many items' leases were extended.
    @discardableResult
    package static func renewLeases(_ conn: Connection, tokens: [UUID], lease: Duration) throws -> Int {
        guard !tokens.isEmpty else { return 0 }
        // SKIP LOCKED: a row locked right now is being committed by its worker; waiting for it
        // would chain this statement into that worker's lock waits (and deadlocks).
        return try conn.query("""
            WITH mine AS (
                SELECT id FROM baton.items
                WHERE state = 'running' AND lease_token = ANY($1::uuid[])
                FOR UPDATE SKIP LOCKED
            )
            UPDATE baton.items i SET leased_until = now() + $2 * interval '1 millisecond'
            FROM mine WHERE i.id = mine.id
            """, [PostgresArray(tokens.map(\.uuidString)), Int(lease.milliseconds)]).affectedRows
    }

    /// Gives up leases without using an attempt (shutdown): the items are `pending` again at once.
    @discardableResult
    package static func releaseLeases(_ conn: Connection, tokens: [UUID]) throws -> Int {
        guard !tokens.isEmpty else { return 0 }
        return try conn.query("""
            UPDATE baton.items
            SET state = 'pending', attempt = greatest(attempt - 1, 0), lease_token = NULL, leased_until = NULL,
                available_at = now()
            WHERE state = 'running' AND lease_token = ANY($1::uuid[])
            """, [PostgresArray(tokens.map(\.uuidString))]).affectedRows
    }

    /// Returns items whose lease expired (their worker died or stalled) to `pending`, or to
    /// `failed` when they are out of attempts; records each as an attempt. Any worker may run
    /// it; `SKIP LOCKED` keeps concurrent rescuers apart. Returns how many were rescued.
    @discardableResult
    package static func rescueExpired(_ conn: Connection, runID: Int64? = nil, limit: Int = 1000) throws -> Int {
        try conn.query("""
            WITH expired AS (
                SELECT id FROM baton.items
                WHERE state = 'running' AND leased_until < now() AND ($1::bigint IS NULL OR run_id = $1)
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), moved AS (
                UPDATE baton.items i
                SET state = CASE WHEN i.attempt >= i.max_attempts THEN 'failed' ELSE 'pending' END,
                    finished_at = CASE WHEN i.attempt >= i.max_attempts THEN now() END,
                    last_error = 'lease expired: worker ' || coalesce(i.leased_by, '?') || ' stopped renewing it',
                    error_class = 'lease expired',
                    lease_token = NULL, leased_until = NULL, available_at = now()
                FROM expired
                WHERE i.id = expired.id
                RETURNING i.id, i.run_id, i.attempt, i.leased_by, i.claimed_at, i.state
            )
            INSERT INTO baton.attempts (item_id, run_id, attempt, worker, started_at, outcome, error_class, error)
            SELECT id, run_id, attempt, leased_by, claimed_at,
                   CASE WHEN state = 'failed' THEN 'failed' ELSE 'lease_expired' END,
                   'lease expired', 'lease expired: worker ' || coalesce(leased_by, '?') || ' stopped renewing it'
            FROM moved
            """, [runID, limit]).affectedRows
    }
}
