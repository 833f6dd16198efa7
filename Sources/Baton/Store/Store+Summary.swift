package import BatonPostgres

extension Store {
    /// Per-stage counts, retries, duplicates, lease losses, throughput and latency of a run,
    /// in the order of `stages` (stages only present in the data come after). Counted from
    /// the batches (one row per batch), so it stays cheap on runs of any size.
    package static func stageSummaries(_ conn: Connection, runID: Int64, stages: [(name: String, hash: String?)]) throws -> [StageSummary] {
        var summaries = StageSummaries(order: stages.map(\.name))
        // Throughput is measured on the busy periods: a replay's pause is not counted.
        let activity = try activity(conn, runID: runID)
        let hashes = stages.compactMap { stage in stage.hash.map { (stage.name, $0) } }
        for row in try conn.query("""
            SELECT b.stage,
                   coalesce(sum(b.size) FILTER (WHERE b.state = 'pending'), 0)::bigint,
                   coalesce(sum(b.size) FILTER (WHERE b.state = 'running'), 0)::bigint,
                   coalesce(sum(b.done), 0)::bigint, coalesce(sum(b.skipped), 0)::bigint, coalesce(sum(b.failed), 0)::bigint,
                   coalesce(sum(b.size) FILTER (WHERE b.state = 'cancelled'), 0)::bigint,
                   extract(epoch FROM max(b.finished_at) FILTER (WHERE b.state = 'done' AND b.claimed_at IS NOT NULL)
                                    - min(b.claimed_at) FILTER (WHERE b.state = 'done'))::float8,
                   coalesce(sum(b.done + b.skipped + b.failed) FILTER (WHERE b.state = 'done' AND b.claimed_at IS NOT NULL), 0)::bigint,
                   (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.finished_at - b.claimed_at))
                        FILTER (WHERE b.state = 'done' AND b.claimed_at IS NOT NULL) * 1000)::float8,
                   (percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM b.finished_at - b.claimed_at))
                        FILTER (WHERE b.state = 'done' AND b.claimed_at IS NOT NULL) * 1000)::float8,
                   coalesce(sum(b.done + b.skipped) FILTER (WHERE b.state = 'done' AND h.hash IS NOT NULL
                                                             AND b.stage_hash IS DISTINCT FROM h.hash), 0)::bigint
            FROM baton.batches b
            LEFT JOIN unnest($2::text[], $3::text[]) AS h(name, hash) ON h.name = b.stage
            WHERE b.run_id = $1
            GROUP BY b.stage
            """, [runID, PostgresArray(hashes.map(\.0)), PostgresArray(hashes.map(\.1))]).rows {
            try summaries.update(try row.decode(String.self, 0)) { s in
                s.pending = try row.decode(Int.self, 1)
                s.running = try row.decode(Int.self, 2)
                s.done = try row.decode(Int.self, 3)
                s.skipped = try row.decode(Int.self, 4)
                s.failed = try row.decode(Int.self, 5)
                s.cancelled = try row.decode(Int.self, 6)
                if let span = try activity.stageSeconds[s.name] ?? row.decode(Double?.self, 7), span > 0 {
                    s.itemsPerSecond = Double(try row.decode(Int.self, 8)) / span
                }
                s.p50Milliseconds = try row.decode(Double?.self, 9)
                s.p95Milliseconds = try row.decode(Double?.self, 10)
                s.olderVersion = try row.decode(Int.self, 11)
            }
        }
        for row in try conn.query("""
            SELECT i.stage, count(*) FROM baton.attempts a JOIN baton.item_rows i ON i.run_id = a.run_id AND i.id = a.item_id
            WHERE a.run_id = $1 AND a.outcome IN ('retry', 'lease_expired') GROUP BY 1
            """, [runID]).rows {
            try summaries.update(try row.decode(String.self, 0)) { $0.retried = try row.decode(Int.self, 1) }
        }
        for row in try conn.query("SELECT stage, counter, sum(amount)::bigint FROM baton.counters WHERE run_id = $1 GROUP BY 1, 2", [runID]).rows {
            let amount = try row.decode(Int.self, 2)
            switch try row.decode(String.self, 1) {
            case "deduplicated": try summaries.update(row.decode(String.self, 0)) { $0.deduplicated = amount }
            case "lease_lost": try summaries.update(row.decode(String.self, 0)) { $0.leaseLost = amount }
            default: break
            }
        }
        return summaries.ordered
    }

    /// Per-stage counts by state only (cheap enough for live progress).
    package static func stageCounts(_ conn: Connection, runID: Int64) throws -> [String: [ItemState: Int]] {
        var counts: [String: [ItemState: Int]] = [:]
        for row in try conn.query("""
            SELECT stage,
                   coalesce(sum(size) FILTER (WHERE state = 'pending'), 0)::bigint, coalesce(sum(size) FILTER (WHERE state = 'running'), 0)::bigint,
                   coalesce(sum(done), 0)::bigint, coalesce(sum(skipped), 0)::bigint, coalesce(sum(failed), 0)::bigint,
                   coalesce(sum(size) FILTER (WHERE state = 'cancelled'), 0)::bigint
            FROM baton.batches WHERE run_id = $1 GROUP BY 1
            """, [runID]).rows {
            let states: [ItemState] = [.pending, .running, .done, .skipped, .failed, .cancelled]
            var byState: [ItemState: Int] = [:]
            for (index, state) in states.enumerated() {
                let n = try row.decode(Int.self, index + 1)
                if n > 0 { byState[state] = n }
            }
            counts[try row.decode(String.self, 0)] = byState
        }
        return counts
    }
}

/// Stage summaries keyed by name, kept in the pipeline's order.
private struct StageSummaries {
    private var byName: [String: StageSummary] = [:]
    private var order: [String]

    init(order: [String]) {
        self.order = order
        for name in order { byName[name] = StageSummary(name: name) }
    }

    mutating func update(_ name: String, _ change: (inout StageSummary) throws -> Void) rethrows {
        if byName[name] == nil {
            byName[name] = StageSummary(name: name)
            order.append(name)
        }
        try change(&byName[name]!)
    }

    var ordered: [StageSummary] { order.compactMap { byName[$0] } }
}
