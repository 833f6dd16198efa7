public import BatonPostgres
import Foundation

/// A fresh, empty database on the test cluster (`BATON_TEST_DATABASE_URL`), dropped when the
/// test ends. Each test gets its own, so tests run in parallel without seeing each other.
public struct TestDatabase: Sendable {
    /// The URL of the test cluster's maintenance database.
    public static func clusterURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["BATON_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestSetupError(
                "BATON_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway Postgres cluster"
            )
        }
        return url
    }

    public let name: String
    /// A connection URL for this database (libpq URL: the cluster URL with another dbname).
    public let url: String
    public var config: ConnectionConfig { ConnectionConfig(url: url) }

    /// Creates a database, runs `body`, drops the database. Creating and dropping run on a
    /// connection thread of their own, not on the cooperative pool the tests share.
    public static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let admin = PostgresSession(config: ConnectionConfig(url: try clusterURL()), name: "baton-test-admin")
        let database = try await admin.withConnection { try create(using: $0) }
        do {
            let value = try await body(database)
            _ = try? await admin.withConnection { try database.drop(using: $0) }
            return value
        } catch {
            _ = try? await admin.withConnection { try database.drop(using: $0) }
            throw error
        }
    }

    static func create(using admin: Connection) throws -> TestDatabase {
        let cluster = try clusterURL()
        let name = "baton_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        try admin.execute("CREATE DATABASE \(name)")
        return TestDatabase(name: String(name), url: urlReplacingDatabase(cluster, with: String(name)))
    }

    func drop(using admin: Connection) throws {
        try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    public func connect() throws -> Connection {
        try Connection(config)
    }

    /// `postgresql:///postgres?host=…` → `postgresql:///NAME?host=…`.
    static func urlReplacingDatabase(_ url: String, with name: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterScheme = url[scheme.upperBound...]
        let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let queryStart = afterScheme[pathStart...].firstIndex(of: "?") ?? afterScheme.endIndex
        return String(url[..<pathStart]) + "/" + name + String(afterScheme[queryStart...])
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
