package import BatonPostgres

extension Store {
    /// The gauges of every running run and of runs `also` (runs this process worked, also
    /// once they ended): pending items and the age of the oldest one per stage, live
    /// processes per run. Counted from the batches, like `baton status`.
    package static func fleetGauges(_ conn: Connection, also: [Int64]) throws -> FleetGauges {
        let stages = try conn.query("""
            WITH r AS (SELECT id, pipeline, name FROM baton.runs WHERE state = 'running' OR id = ANY ($1::bigint[]))
            SELECT r.pipeline, r.name, b.stage,
                   coalesce(sum(b.size) FILTER (WHERE b.state = 'pending'), 0)::bigint,
                   coalesce(extract(epoch FROM now() - min(b.created_at) FILTER (WHERE b.state = 'pending')), 0)::float8
            FROM r JOIN baton.batches b ON b.run_id = r.id
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, [PostgresArray(also.map(String.init))]).rows.map { row in
                FleetGauges.StageGauge(pipeline: try row.decode(String.self, 0), run: try row.decode(String.self, 1),
                                       stage: try row.decode(String.self, 2), pending: try row.decode(Int.self, 3),
                                       oldestPendingSeconds: max(0, try row.decode(Double.self, 4)))
            }
        let workers = try conn.query("""
            WITH r AS (SELECT id, pipeline, name FROM baton.runs WHERE state = 'running' OR id = ANY ($1::bigint[]))
            SELECT r.pipeline, r.name, count(w.name)::bigint
            FROM r LEFT JOIN baton.workers w ON w.run_id = r.id AND w.seen_at > now() - $2 * interval '1 second'
            GROUP BY 1, 2 ORDER BY 1, 2
            """, [PostgresArray(also.map(String.init)), workerTimeoutSeconds]).rows.map { row in
                FleetGauges.WorkerGauge(pipeline: try row.decode(String.self, 0), run: try row.decode(String.self, 1),
                                        live: try row.decode(Int.self, 2))
            }
        return FleetGauges(stages: stages, workers: workers)
    }
}
