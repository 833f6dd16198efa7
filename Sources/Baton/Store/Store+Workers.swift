package import BatonPostgres
import Foundation

extension Store {
    /// How often a process refreshes its heartbeat row.
    package static let workerBeatSeconds = 2.0
    /// A process whose heartbeat is older than this is taken as gone (stopped, killed, or cut
    /// off from the database).
    package static let workerTimeoutSeconds = 15.0

    /// Creates or refreshes the heartbeat row of process `name`, working run `runID`.
    package static func beatWorker(_ conn: Connection, name: String, runID: Int64, pid: Int32, host: String) throws {
        try conn.query("""
            INSERT INTO baton.workers (name, run_id, pid, host) VALUES ($1, $2, $3, $4)
            ON CONFLICT (name) DO UPDATE
            SET run_id = excluded.run_id, seen_at = now(),
                started_at = CASE WHEN baton.workers.run_id IS DISTINCT FROM excluded.run_id THEN now() ELSE baton.workers.started_at END
            """, [name, runID, Int(pid), host])
    }

    /// Removes the heartbeat row of process `name` (it stopped working the run).
    package static func removeWorker(_ conn: Connection, name: String) throws {
        try conn.query("DELETE FROM baton.workers WHERE name = $1", [name])
    }

    /// The processes that worked run `runID` (or any run) recently, alive or not, plus those
    /// holding its items; newest heartbeat first. Rows older than a day are left out.
    package static func workers(_ conn: Connection, runID: Int64?) throws -> [WorkerRecord] {
        try conn.query("""
            WITH held AS (
                SELECT split_part(leased_by, '/', 1) AS name, sum(size)::bigint AS items FROM baton.batches
                WHERE state = 'running' AND ($1::bigint IS NULL OR run_id = $1) GROUP BY 1
            )
            SELECT coalesce(w.name, h.name), w.run_id, coalesce(w.pid, 0), coalesce(w.host, split_part(h.name, ':', 1)),
                   coalesce(w.started_at, now()), extract(epoch FROM now() - coalesce(w.seen_at, '-infinity'))::float8,
                   coalesce(h.items, 0)
            FROM (SELECT * FROM baton.workers WHERE ($1::bigint IS NULL OR run_id = $1) AND seen_at > now() - interval '1 day') w
            FULL JOIN held h ON h.name = w.name
            ORDER BY 6, 1
            """, [runID]).rows.map { row in
                WorkerRecord(
                    name: try row.decode(String.self, 0), runID: try row.decode(Int64?.self, 1), pid: try row.decode(Int.self, 2),
                    host: try row.decode(String.self, 3), startedAt: try row.decode(Date.self, 4),
                    secondsSinceSeen: try row.decode(Double?.self, 5) ?? .infinity, heldItems: try row.decode(Int.self, 6)
                )
            }
    }

    /// Ids of the running runs that some process worked within the timeout.
    package static func attendedRuns(_ conn: Connection) throws -> Set<Int64> {
        Set(try conn.query("""
            SELECT DISTINCT run_id FROM baton.workers
            WHERE run_id IS NOT NULL AND seen_at > now() - $1 * interval '1 second'
            """, [workerTimeoutSeconds]).rows.map { try $0.decode(Int64.self, 0) })
    }
}
