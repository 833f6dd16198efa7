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

    static func migrated(_ db: TestDatabase) throws -> Connection {
        let conn = try db.connect()
        try Store.migrate(conn)
        return conn
    }
}

extension RunReport {
    func stage(_ name: String) -> StageSummary? { stages.first { $0.name == name } }
}
