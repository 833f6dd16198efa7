/// How to reach a Postgres server.
///
/// Either a connection URL / conninfo string, or keyword/value parameters, or nothing at all
/// (then libpq's standard environment applies: `PGHOST`, `PGDATABASE`, `PGSERVICE`,
/// `~/.pgpass`…). Built into `PQconnectdbParams` arguments with `expand_dbname` so a URL in
/// `dbname` is expanded by libpq itself.
public struct ConnectionConfig: Sendable, Hashable {
    /// Keyword/value pairs for `PQconnectdbParams`, in order.
    public var parameters: [(String, String)] {
        get { storage }
        set { storage = newValue }
    }
    private var storage: [(String, String)]

    /// Prepare statements the first time they are used (on by default). Turn off behind a
    /// transaction-pooling PgBouncer older than 1.21.
    public var usePreparedStatements = true

    /// A URL (`postgresql://user@host/db?sslmode=…`) or a conninfo string (`host=… dbname=…`).
    public init(url: String) {
        storage = [("dbname", url)]
    }

    /// Keyword/value parameters, as libpq spells them (`host`, `port`, `dbname`, `user`…).
    public init(parameters: [(String, String)]) {
        storage = parameters
    }

    /// Only libpq's environment defaults.
    public static var environment: ConnectionConfig { ConnectionConfig(parameters: []) }

    /// A copy with one keyword set (replacing an earlier value of it).
    public func with(_ keyword: String, _ value: String) -> ConnectionConfig {
        // libpq processes parameters in order and later values win; only the first
        // `dbname` is expanded as a URL, so appending is an override.
        var copy = self
        copy.storage.append((keyword, value))
        return copy
    }

    public static func == (lhs: ConnectionConfig, rhs: ConnectionConfig) -> Bool {
        lhs.storage.elementsEqual(rhs.storage, by: { $0 == $1 }) && lhs.usePreparedStatements == rhs.usePreparedStatements
    }

    public func hash(into hasher: inout Hasher) {
        for (k, v) in storage { hasher.combine(k); hasher.combine(v) }
    }

    /// A description safe for logs: keywords and hosts only, never a password or full DSN.
    public var redactedDescription: String {
        storage.map { key, value -> String in
            if key == "dbname", value.contains("://") || value.contains("=") { return "dbname=<url>" }
            if key == "password" { return "password=***" }
            return "\(key)=\(value)"
        }.joined(separator: " ")
    }
}
