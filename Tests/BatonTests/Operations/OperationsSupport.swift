import BatonPostgres
import BatonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the end-to-end tests of the operator commands (`failures`, `explain`,
/// `replay`, `cancel`, `prune`, …): pipeline files, what the binary printed, rows in Postgres.
enum Ops {
    /// Every row of `sql`, each as its columns' text joined with `|` (NULL as `∅`): a
    /// snapshot to compare before and after a command that must change nothing.
    static func rows(_ conn: Connection, _ sql: String, _ params: [any PostgresEncodable] = []) throws -> [String] {
        let result = try conn.query(sql, params)
        return (0..<result.rowCount).map { row in
            (0..<result.columnCount).map { result.string(row: row, column: $0) ?? "∅" }.joined(separator: "|")
        }
    }

    static func count(_ conn: Connection, _ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int {
        try conn.query(sql, params).rows[0].decode(Int.self, 0)
    }

    /// The items of run `name` counted per stage and state as `status` counts them (from the
    /// batches: fused stages keep counts, not items): `["load": ["done": 14, "failed": 3]]`.
    static func itemStates(_ conn: Connection, run name: String) throws -> [String: [String: Int]] {
        var out: [String: [String: Int]] = [:]
        for line in try rows(conn, """
            SELECT b.stage, s.state, sum(s.n)::bigint
            FROM baton.batches b JOIN baton.runs r ON r.id = b.run_id,
                 LATERAL (VALUES ('pending', CASE WHEN b.state = 'pending' THEN b.size ELSE 0 END),
                                 ('running', CASE WHEN b.state = 'running' THEN b.size ELSE 0 END),
                                 ('cancelled', CASE WHEN b.state = 'cancelled' THEN b.size ELSE 0 END),
                                 ('done', b.done), ('skipped', b.skipped), ('failed', b.failed)) AS s(state, n)
            WHERE r.name = $1 GROUP BY 1, 2 HAVING sum(s.n) > 0
            """, [name]) {
            let parts = line.split(separator: "|").map(String.init)
            out[parts[0], default: [:]][parts[1]] = Int(parts[2])
        }
        return out
    }

    static func runState(_ conn: Connection, _ name: String) throws -> String? {
        try rows(conn, "SELECT state FROM baton.runs WHERE name = $1", [name]).first
    }

    /// Parses a JSON document printed on stdout.
    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let dictionary = object as? [String: Any] else { throw TestSetupError("not a JSON object: \(text)") }
        return dictionary
    }

    /// The rows of the first text table in `text` whose header starts with `stage`, keyed by
    /// stage name then column name: `["load": ["done": "14", "failed": "3", …]]`.
    static func stageTable(_ text: String) -> [String: [String: String]] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let headerIndex = lines.firstIndex(where: { $0.hasPrefix("stage ") }) else { return [:] }
        let header = lines[headerIndex].replacingOccurrences(of: " ms", with: "_ms").split(separator: " ").map(String.init)
        var table: [String: [String: String]] = [:]
        for line in lines[(headerIndex + 1)...] {
            let cells = line.split(separator: " ").map(String.init)
            guard cells.count == header.count else { break }
            table[cells[0]] = Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
        return table
    }

    /// JSON numbers as Int (JSONSerialization gives NSNumber).
    static func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }

    /// Lines of a JSONL source: `{"id": 1, …}` per element.
    static func jsonl(_ objects: [[String: Any]]) throws -> String {
        try objects.map { object in
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// A pipeline whose single sql stage sleeps 5 ms per item: 2 000 items take about 5 s
    /// with 2 workers, long enough to interrupt it or to watch its progress.
    static func slowPipeline(_ ws: Workspace, name: String = "slow", items: Int = 2_000) throws -> String {
        try ws.idsPipeline(name, count: items, stages: """
              - name: nap
                sql: insert into slow_out (id) select :id::int from pg_sleep(0.005)
                batch_size: 10
            """)
    }

    /// The table `slowPipeline` writes to: no unique constraint, so a duplicate effect shows
    /// as a second row.
    static func createSlowTable(_ conn: Connection) throws {
        try conn.execute("CREATE TABLE slow_out (id int NOT NULL)")
    }

    /// Starts `baton run` on the slow pipeline and sends SIGINT once some items are done.
    static func interruptedRun(
        _ file: String, run name: String, database db: TestDatabase, conn: Connection, extra: [String] = [],
        signal: Int32 = SIGINT
    ) async throws -> BatonProcess.Output {
        let process = try BatonProcess.start(
            ["run", file, "--run", name, "--workers", "2", "--progress", "none"] + extra, database: db)
        // Watched, and signalled, from a thread of its own: a busy cooperative pool (many
        // tests at once on a small machine) must not let the run finish before the signal.
        let sent = await Ops.signal(process, signal, database: db, when: "SELECT count(*) FROM slow_out", reaches: 50)
        guard sent else {
            throw TestSetupError("the slow run ended or stalled before it could be interrupted: \(try await process.wait())")
        }
        return try await process.wait(timeout: .seconds(60))
    }
}
