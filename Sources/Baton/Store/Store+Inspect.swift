package import BatonPostgres
import Foundation

extension Store {
    /// Failed items of a run grouped by stage, error class and message pattern, largest first.
    package static func failureGroups(_ conn: Connection, runID: Int64, stage: String?, examples: Int = 3) throws -> [FailureGroup] {
        try conn.query("""
            SELECT stage, coalesce(error_class, 'error'), regexp_replace(coalesce(error, ''), '[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?', 'N', 'g') AS pattern,
                   count(*), (array_agg(key ORDER BY id))[1:$3]::text[], (array_agg(coalesce(error, '') ORDER BY id))[1]
            FROM baton.item_rows
            WHERE run_id = $1 AND outcome = 'failed' AND ($2::text IS NULL OR stage = $2)
            GROUP BY 1, 2, 3
            ORDER BY count(*) DESC, 1, 2, 3
            """, [runID, stage, examples]).rows.map { row in
                FailureGroup(
                    stage: try row.decode(String.self, 0), errorClass: try row.decode(String.self, 1),
                    pattern: try row.decode(String.self, 2), count: try row.decode(Int.self, 3),
                    exampleKeys: parseTextArray(try row.decode(String.self, 4)), exampleMessage: try row.decode(String.self, 5)
                )
            }
    }

    /// Decodes a Postgres text-array literal (`{a,"b c",NULL}`).
    static func parseTextArray(_ literal: String) -> [String] {
        var out: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        var quoted = false
        for c in literal.dropFirst().dropLast() {
            if escaped { current.append(c); escaped = false; continue }
            switch c {
            case "\\" where inQuotes: escaped = true
            case "\"": inQuotes.toggle(); quoted = true
            case "," where !inQuotes:
                if quoted || current != "NULL" { out.append(current) }
                current = ""; quoted = false
            default: current.append(c)
            }
        }
        if !literal.isEmpty && literal != "{}" && (quoted || current != "NULL") { out.append(current) }
        return out
    }

    /// Every item of a run with this key (in any stage), or produced from it, with attempts.
    /// The lineage: ancestors of the matching items, the items, and all their descendants.
    /// How many members of fused stages (``Stage/runsInline``: counted, not stored) came
    /// from each of the given stored items, per stage: `[item id: [(stage, count)]]`.
    package static func fusedMembers(_ conn: Connection, runID: Int64, items: [Int64]) throws -> [Int64: [(stage: String, count: Int)]] {
        guard !items.isEmpty else { return [:] }
        var out: [Int64: [(stage: String, count: Int)]] = [:]
        for row in try conn.query("""
            SELECT h, v.stage, count(*) FROM baton.batches v, unnest(v.fused_heads) h
            WHERE v.run_id = $1 AND v.fused_heads && $2::bigint[] AND h = ANY ($2::bigint[])
            GROUP BY 1, 2 ORDER BY 1, min(v.id)
            """, [runID, PostgresArray(items.map { String($0) })]).rows {
            out[try row.decode(Int64.self, 0), default: []].append((try row.decode(String.self, 1), try row.decode(Int.self, 2)))
        }
        return out
    }

    package static func lineage(_ conn: Connection, runID: Int64, key: String) throws -> [ItemHistory] {
        let rows = try conn.query("""
            WITH RECURSIVE matched AS (
                SELECT id, parent_id FROM baton.item_rows WHERE run_id = $1 AND key = $2
            ), up AS (
                SELECT id, parent_id FROM matched
                UNION
                SELECT i.id, i.parent_id FROM baton.item_rows i JOIN up ON i.id = up.parent_id WHERE i.run_id = $1
            ), down AS (
                SELECT id FROM matched
                UNION
                SELECT i.id FROM baton.item_rows i JOIN down ON i.parent_id = down.id WHERE i.run_id = $1
            )
            SELECT i.id, i.stage, i.key, i.state, i.attempt, i.max_attempts, i.parent_id, i.payload::text, i.leased_by,
                   i.created_at, i.claimed_at, i.finished_at, i.last_error
            FROM baton.items i
            WHERE i.run_id = $1 AND i.id IN (SELECT id FROM up UNION SELECT id FROM down)
            ORDER BY i.id
            """, [runID, key]).rows
        var items: [ItemHistory] = try rows.map { row in
            ItemHistory(
                id: try row.decode(Int64.self, 0), stage: try row.decode(String.self, 1), key: try row.decode(String.self, 2),
                state: try row.decode(String.self, 3), attempt: try row.decode(Int.self, 4), maxAttempts: try row.decode(Int.self, 5),
                parentID: try row.decode(Int64?.self, 6), payload: try row.decode(String.self, 7), worker: try row.decode(String?.self, 8),
                createdAt: try row.decode(Date.self, 9), claimedAt: try row.decode(Date?.self, 10), finishedAt: try row.decode(Date?.self, 11),
                lastError: try row.decode(String?.self, 12), attempts: [], children: []
            )
        }
        guard !items.isEmpty else { return [] }
        let ids = PostgresArray(items.map { String($0.id) })
        var attempts: [Int64: [ItemHistory.Attempt]] = [:]
        for row in try conn.query("""
            SELECT item_id, attempt, worker, started_at, finished_at, outcome, error_class, error
            FROM baton.attempts WHERE run_id = $2 AND item_id = ANY($1::bigint[]) ORDER BY id
            """, [ids, runID]).rows {
            attempts[try row.decode(Int64.self, 0), default: []].append(ItemHistory.Attempt(
                attempt: try row.decode(Int.self, 1), worker: try row.decode(String?.self, 2), startedAt: try row.decode(Date?.self, 3),
                finishedAt: try row.decode(Date.self, 4), outcome: try row.decode(String.self, 5),
                errorClass: try row.decode(String?.self, 6), error: try row.decode(String?.self, 7)
            ))
        }
        var children: [Int64: [(id: Int64, stage: String, key: String, state: String)]] = [:]
        for row in try conn.query("""
            SELECT parent_id, id, stage, key, state FROM baton.items WHERE run_id = $2 AND parent_id = ANY($1::bigint[]) ORDER BY id
            """, [ids, runID]).rows {
            children[try row.decode(Int64.self, 0), default: []].append(
                (try row.decode(Int64.self, 1), try row.decode(String.self, 2), try row.decode(String.self, 3), try row.decode(String.self, 4)))
        }
        for index in items.indices {
            items[index].attempts = attempts[items[index].id] ?? []
            items[index].children = children[items[index].id] ?? []
        }
        return items
    }

    /// Age of the oldest pending item and who holds items now.
    package static func statusDetail(_ conn: Connection, runID: Int64) throws -> RunStatusDetail {
        let oldest = try conn.query("""
            SELECT extract(epoch FROM now() - min(created_at))::float8 FROM baton.batches WHERE run_id = $1 AND state = 'pending'
            """, [runID]).rows[0].decode(Double?.self, 0)
        let workers = try conn.query("""
            SELECT split_part(leased_by, '/', 1), sum(size)::bigint FROM baton.batches
            WHERE run_id = $1 AND state = 'running' GROUP BY 1 ORDER BY 1
            """, [runID]).rows.map { (try $0.decode(String.self, 0), try $0.decode(Int.self, 1)) }
        return RunStatusDetail(oldestPendingSeconds: oldest, workers: workers)
    }
}
