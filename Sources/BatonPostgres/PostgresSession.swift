/// A connection confined to its own thread, usable from async code.
///
/// Every method runs on the connection's dedicated thread, so blocking libpq calls never
/// occupy Swift's cooperative pool. Closures passed to ``withConnection(_:)`` run there too.
public actor PostgresSession {
    private let executor: DedicatedThreadExecutor
    private var connection: Connection?
    private let config: ConnectionConfig

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Creates the session; the connection opens lazily on first use and reopens after a
    /// connection error.
    public init(config: ConnectionConfig, name: String = "baton-pg") {
        self.config = config
        self.executor = DedicatedThreadExecutor(name: name)
    }

    deinit { executor.shutdown() }

    /// Runs `body` with the connection on the session's thread.
    public func withConnection<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try self.connection ?? Connection(config)
        self.connection = connection
        // A body must leave no transaction open behind it; if it did (or the connection
        // broke), roll back, or drop the connection when even that fails.
        defer {
            if connection.isHealthy && connection.transactionStatus != .idle { connection.rollbackQuietly() }
            if !connection.isHealthy || connection.transactionStatus != .idle { self.connection = nil }
        }
        return try body(connection)
    }

    /// True when called on the session's own thread (as every method and `withConnection`
    /// body is).
    public nonisolated var isOnSessionThread: Bool { executor.isCurrentThread }

    /// Closes the connection (it reopens on next use).
    public func close() {
        connection = nil
    }
}
