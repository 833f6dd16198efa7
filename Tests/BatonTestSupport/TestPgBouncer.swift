public import BatonPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real PgBouncer (the Debian package, `make setup` installs it) in front of the test
/// cluster, in a folder of its own: it listens on a unix socket there, pools in
/// `transaction` mode with `auth_type = trust`, and stops with ``stop()``.
public final class TestPgBouncer: @unchecked Sendable {
    /// The folder holding the config, the log and the socket.
    let directory: URL
    /// The port in the socket's name (`.s.PGSQL.PORT`).
    public let port = 6432
    private let user: String
    private let process: Process

    /// Starts pgbouncer with `pool_mode = mode` in front of the cluster of
    /// `BATON_TEST_DATABASE_URL` (a unix-socket URL, as `scripts/test-cluster.sh` prints).
    public init(poolMode: String = "transaction", poolSize: Int = 8) throws {
        guard let cluster = URLComponents(string: try TestDatabase.clusterURL()) else {
            throw TestSetupError("BATON_TEST_DATABASE_URL is not a URL")
        }
        let query = cluster.queryItems ?? []
        let host = cluster.host.flatMap { $0.isEmpty ? nil : $0 } ?? query.first { $0.name == "host" }?.value ?? "/tmp"
        let serverPort = cluster.port.map(String.init) ?? query.first { $0.name == "port" }?.value ?? "5432"
        user = cluster.user ?? query.first { $0.name == "user" }?.value ?? "postgres"
        guard let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSetupError("pgbouncer is not installed: run `make setup` (Debian package pgbouncer)")
        }
        // Short: a unix socket path has at most 107 bytes.
        directory = URL(fileURLWithPath: "/tmp/baton-pgb-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let runAs = getuid() == 0 ? "user = postgres\n" : ""
        try """
            [databases]
            * = host=\(host) port=\(serverPort)
            [pgbouncer]
            listen_addr =
            unix_socket_dir = \(directory.path)
            listen_port = \(port)
            auth_type = trust
            auth_file = \(directory.path)/userlist.txt
            admin_users = \(user)
            pool_mode = \(poolMode)
            default_pool_size = \(poolSize)
            max_client_conn = 400
            logfile = \(directory.path)/pgbouncer.log
            \(runAs)
            """.write(to: directory.appendingPathComponent("pgbouncer.ini"), atomically: true, encoding: .utf8)
        try "\"\(user)\" \"\"\n".write(to: directory.appendingPathComponent("userlist.txt"), atomically: true, encoding: .utf8)
        if getuid() == 0 { TestPgBouncer.chownRecursively(directory.path, to: "postgres") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [directory.appendingPathComponent("pgbouncer.ini").path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready once it answers on its socket: the socket file appears at bind(), before
        // listen(), and a connection in between is refused (seen on a loaded machine).
        let deadline = Date().addingTimeInterval(20)
        while (try? admin("SHOW VERSION")) == nil {
            guard process.isRunning, Date() < deadline else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? ""
                stop()
                throw TestSetupError("pgbouncer did not start: \(log)")
            }
            usleep(20_000)
        }
    }

    deinit { stop() }

    /// The URL of `database` through the pooler.
    public func url(for database: TestDatabase) -> String {
        "postgresql:///\(database.name)?host=\(directory.path)&port=\(port)&user=\(user)"
    }

    /// Runs `command` on PgBouncer's admin console (`SHOW STATS`, `SHOW POOLS`…): rows of
    /// column name → text.
    public func admin(_ command: String) throws -> [[String: String]] {
        var config = ConnectionConfig(url: "postgresql:///pgbouncer?host=\(directory.path)&port=\(port)&user=\(user)")
        config.pooler = .none
        let conn = try Connection(config)
        let result = try conn.execute(command)
        let names = (0..<result.columnCount).map { result.columnName($0) }
        return result.rows.map { row in
            Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, row[$0] ?? "") })
        }
    }

    /// Stops pgbouncer and removes its folder.
    public func stop() {
        // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM, and
        // pgbouncer's own shutdown waits for its clients. Polled, not `waitUntilExit` (which
        // can spin forever off the main thread).
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(10_000) }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func chownRecursively(_ path: String, to name: String) {
        guard let entry = getpwnam(name) else { return }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        chown(path, uid, gid)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            chown("\(path)/\(file)", uid, gid)
        }
    }
}
