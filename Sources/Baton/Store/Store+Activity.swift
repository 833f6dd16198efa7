package import BatonPostgres

extension Store {
    /// A gap in which no item of the run is in flight for longer than this ends a busy period.
    static let pauseSeconds = 10

    package static func activity(_ conn: Connection, runID: Int64) throws -> RunActivity {
        var activity = RunActivity(runSeconds: nil, stageSeconds: [:])
        for row in try conn.query("""
            WITH t AS (
                SELECT stage, claimed_at AS s, finished_at AS f FROM baton.batches
                WHERE run_id = $1 AND state = 'done' AND claimed_at IS NOT NULL AND finished_at IS NOT NULL
            ), o AS (
                SELECT stage, s, f, max(f) OVER (ORDER BY s, f ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM t
            ), g AS (
                SELECT stage, s, f,
                       count(*) FILTER (WHERE before IS NULL OR s > before + $2 * interval '1 second') OVER (ORDER BY s, f) AS period
                FROM o
            ), spans AS (
                SELECT stage, period, extract(epoch FROM max(f) - min(s))::float8 AS span
                FROM g GROUP BY GROUPING SETS ((stage, period), (period))
            )
            SELECT stage, sum(span)::float8 FROM spans GROUP BY stage
            """, [runID, pauseSeconds]).rows {
            let seconds = try row.decode(Double?.self, 1)
            if let stage = try row.decode(String?.self, 0) {
                activity.stageSeconds[stage] = seconds
            } else {
                activity.runSeconds = seconds
            }
        }
        return activity
    }
}
