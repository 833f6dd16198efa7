import BatonPostgres
import Synchronization

/// A database session opened on first use.
final class LazySession: Sendable {
    private let resolve: @Sendable () throws -> ConnectionConfig
    private let session = Mutex<PostgresSession?>(nil)

    init(resolve: @escaping @Sendable () throws -> ConnectionConfig) { self.resolve = resolve }

    func withConnection<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T {
        let current = try session.withLock { session -> PostgresSession in
            if let session { return session }
            let made = PostgresSession(config: try resolve(), name: "baton-test")
            session = made
            return made
        }
        do {
            return try await current.withConnection(body)
        } catch let error as PostgresError where error.isConnectionError {
            throw BatonError(.unavailable, "database unavailable: \(error)")
        }
    }
}
