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

    /// Prepare statements the first time they are used (on by default). Off on a connection
    /// behind a transaction pooler (``pooler``), whatever this says.
    public var usePreparedStatements = true

    /// Whether a connection pooler sits between Baton and Postgres, and in which mode
    /// (``PoolerMode``). `.auto` (the default) detects one on each connection.
    public var pooler: PoolerMode = .auto

    /// How long one exchange with the server may take (a statement, a pipeline, a COPY chunk)
    /// before the connection is given up as lost. Bounds every wait on a server that stopped
    /// answering; the caller's reconnect policy takes over from there.
    public var answerTimeout: Duration = .seconds(30)

    /// Session settings applied right after connecting (`SET name = 'value'`), e.g.
    /// `idle_in_transaction_session_timeout`. Behind a transaction pooler they are applied to
    /// each transaction instead (`SET LOCAL`), so no session state is left on a shared server
    /// connection.
    public var sessionSettings: [(String, String)] = []

    /// Parameters every connection gets unless the URL or the environment sets them: a name in
    /// `pg_stat_activity`, a bounded connect, and TCP keepalives (a dead peer on a TCP
    /// connection is noticed within about half a minute; unix sockets ignore them).
    static let defaults: [(String, String)] = [
        ("fallback_application_name", "baton"),
        ("connect_timeout", "10"),
        ("keepalives", "1"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
        ("tcp_user_timeout", "30000"),
    ]

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
            && lhs.pooler == rhs.pooler && lhs.answerTimeout == rhs.answerTimeout && lhs.sessionSettings.elementsEqual(rhs.sessionSettings, by: { $0 == $1 })
    }

    public func hash(into hasher: inout Hasher) {
        for (k, v) in storage { hasher.combine(k); hasher.combine(v) }
        hasher.combine(usePreparedStatements)
        hasher.combine(pooler)
        hasher.combine(answerTimeout)
        for (k, v) in sessionSettings { hasher.combine(k); hasher.combine(v) }
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
