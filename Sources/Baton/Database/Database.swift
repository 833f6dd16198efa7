package import BatonPostgres
public import Foundation

/// The Postgres database a pipeline runs on: Baton's queue and outbox (schema `baton`,
/// created on first use) and the tables its `sql` stages write.
///
/// ```swift
/// let database = Database(url: "postgresql://etl@db.internal/warehouse")
/// let local = try Database.locate()   // as the `baton` command chooses
/// ```
public struct Database: Sendable, Hashable, CustomStringConvertible {
    package let config: ConnectionConfig

    package init(config: ConnectionConfig) { self.config = config }

    /// A libpq URL (`postgresql://user@host/db?sslmode=require`) or conninfo string
    /// (`host=/tmp dbname=etl`).
    public init(url: String) { config = ConnectionConfig(url: url) }

    /// libpq's standard environment only: `PGHOST`, `PGDATABASE`, `PGSERVICE`, the other
    /// `PG*` variables and `~/.pgpass`.
    public static var libpqEnvironment: Database { Database(config: .environment) }

    /// The database the `baton` command would use, first found: `url`, `BATON_DATABASE_URL`,
    /// `DATABASE_URL`, the libpq environment (`PGHOST`, `PGDATABASE`, `PGSERVICE`), else the
    /// embedded cluster under `.baton/postgres` in the current directory, started if needed
    /// (`notice` receives the line saying so). Throws ``BatonError`` (`unavailable`) when the
    /// embedded cluster cannot be started.
    public static func locate(
        url: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        notice: (String) -> Void = { _ in }
    ) throws -> Database {
        Database(config: try DatabaseLocator(environment: environment).resolve(explicitURL: url, notice: notice))
    }

    /// Keywords and hosts only: never a password or a full URL.
    public var description: String { config.redactedDescription }
}
