import Baton
import BatonJQ
import BatonPostgres
import BatonTestSupport
import Foundation
import Logging

/// Builders for engine tests: small pipelines from Swift values, fast options.
enum EngineFixture {
    static func items(_ count: Int, _ make: (Int) -> JSON = { .object([("id", .number(Double($0)))]) }) -> SourceSpec {
        SourceSpec(.items((1...max(1, count)).prefix(count).map(make)), key: ".id")
    }

    static func options(workers: Int = 2) -> RunOptions {
        var logger = Logger(label: "baton.test")
        logger.logLevel = .error
        return RunOptions(workers: workers, maxIdle: .milliseconds(50), rescueInterval: .milliseconds(200), logger: logger)
    }

    static func fastRetry(_ attempts: Int) -> RetryPolicy {
        RetryPolicy(maxAttempts: attempts, backoff: .fixed, initial: .milliseconds(5), max: .milliseconds(5), jitter: 0)
    }

    static func count(_ conn: Connection, _ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int {
        try conn.query(sql, params).rows[0].decode(Int.self, 0)
    }

    /// Starts `pipeline` as run "r", waits for its first failed attempt, stops it, and
    /// returns the backoff recorded with that attempt (next attempt minus the attempt's end,
    /// both written in one transaction, so no clock is involved).
    static func firstRetryDelay(_ pipeline: Pipeline, _ db: TestDatabase) async throws -> (delay: Double, report: RunReport) {
        let conn = try db.connect()
        let controller = RunController()
        let task = Task { try await RunEngine.run(pipeline, database: db.config, runName: "r", options: options(), controller: controller) }
        let deadline = ContinuousClock.now + .seconds(30)
        while ((try? count(conn, "SELECT count(*) FROM baton.attempts")) ?? 0) == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        controller.requestStop(.interrupt)
        let report = try await task.value
        let delay = try conn.query("""
            SELECT extract(epoch FROM i.available_at - a.finished_at)::float8
            FROM baton.items i JOIN baton.attempts a ON a.item_id = i.id
            """).rows[0].decode(Double.self, 0)
        return (delay, report)
    }

    static func migrated(_ db: TestDatabase) throws -> Connection {
        let conn = try db.connect()
        try Store.migrate(conn)
        return conn
    }
}

extension RunReport {
    func stage(_ name: String) -> StageSummary? { stages.first { $0.name == name } }
}
