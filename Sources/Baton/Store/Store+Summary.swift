package import BatonPostgres

extension Store {
    /// Per-stage counts, retries, duplicates, lease losses, throughput and latency of a run,
    /// in the order of `stages` (stages only present in the data come after).
    package static func stageSummaries(_ conn: Connection, runID: Int64, stages: [(name: String, hash: String?)]) throws -> [StageSummary] {
        var byName: [String: StageSummary] = [:]
        var order = stages.map(\.name)
        func entry(_ name: String) -> StageSummary {
            if byName[name] == nil {
                byName[name] = StageSummary(name: name)
                if !order.contains(name) { order.append(name) }
            }
            return byName[name]!
        }
        for stage in stages { _ = entry(stage.name) }

        for row in try conn.query("SELECT stage, state, count(*) FROM baton.items WHERE run_id = $1 GROUP BY 1, 2", [runID]).rows {
            let name = try row.decode(String.self, 0)
            var summary = entry(name)
            let count = try row.decode(Int.self, 2)
            switch ItemState(rawValue: try row.decode(String.self, 1)) {
            case .pending: summary.pending = count
            case .running: summary.running = count
            case .done: summary.done = count
            case .skipped: summary.skipped = count
            case .failed: summary.failed = count
            case .cancelled: summary.cancelled = count
            case nil: break
            }
            byName[name] = summary
        }
        for row in try conn.query("""
            SELECT i.stage, count(*) FROM baton.attempts a JOIN baton.items i ON i.id = a.item_id
            WHERE a.run_id = $1 AND a.outcome IN ('retry', 'lease_expired') GROUP BY 1
            """, [runID]).rows {
            let name = try row.decode(String.self, 0)
            var summary = entry(name)
            summary.retried = try row.decode(Int.self, 1)
            byName[name] = summary
        }
        for row in try conn.query("SELECT stage, counter, sum(amount)::bigint FROM baton.counters WHERE run_id = $1 GROUP BY 1, 2", [runID]).rows {
            let name = try row.decode(String.self, 0)
            var summary = entry(name)
            let amount = try row.decode(Int.self, 2)
            switch try row.decode(String.self, 1) {
            case "deduplicated": summary.deduplicated = amount
            case "lease_lost": summary.leaseLost = amount
            default: break
            }
            byName[name] = summary
        }
        let activity = try activity(conn, runID: runID)
        for row in try conn.query("""
            SELECT stage,
                   count(*),
                   extract(epoch FROM max(finished_at) - min(claimed_at))::float8,
                   (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - claimed_at)) * 1000)::float8,
                   (percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - claimed_at)) * 1000)::float8
            FROM baton.items
            WHERE run_id = $1 AND state IN ('done', 'skipped', 'failed') AND claimed_at IS NOT NULL
            GROUP BY 1
            """, [runID]).rows {
            let name = try row.decode(String.self, 0)
            var summary = entry(name)
            let count = try row.decode(Int.self, 1)
            // Measured on the busy periods: a replay's pause is not counted.
            if let span = try activity.stageSeconds[name] ?? row.decode(Double?.self, 2), span > 0 { summary.itemsPerSecond = Double(count) / span }
            summary.p50Milliseconds = try row.decode(Double?.self, 3)
            summary.p95Milliseconds = try row.decode(Double?.self, 4)
            byName[name] = summary
        }
        let hashes = stages.compactMap { stage in stage.hash.map { (stage.name, $0) } }
        if !hashes.isEmpty {
            for row in try conn.query("""
                SELECT i.stage, count(*) FROM baton.items i
                JOIN unnest($2::text[], $3::text[]) AS s(name, hash) ON s.name = i.stage
                WHERE i.run_id = $1 AND i.state IN ('done', 'skipped') AND i.stage_hash IS DISTINCT FROM s.hash
                GROUP BY 1
                """, [runID, PostgresArray(hashes.map(\.0)), PostgresArray(hashes.map(\.1))]).rows {
                let name = try row.decode(String.self, 0)
                var summary = entry(name)
                summary.olderVersion = try row.decode(Int.self, 1)
                byName[name] = summary
            }
        }
        return order.compactMap { byName[$0] }
    }

    /// Per-stage counts by state only (cheap enough for live progress).
    package static func stageCounts(_ conn: Connection, runID: Int64) throws -> [String: [ItemState: Int]] {
        var counts: [String: [ItemState: Int]] = [:]
        for row in try conn.query("SELECT stage, state, count(*) FROM baton.items WHERE run_id = $1 GROUP BY 1, 2", [runID]).rows {
            guard let state = ItemState(rawValue: try row.decode(String.self, 1)) else { continue }
            counts[try row.decode(String.self, 0), default: [:]][state] = try row.decode(Int.self, 2)
        }
        return counts
    }
}
