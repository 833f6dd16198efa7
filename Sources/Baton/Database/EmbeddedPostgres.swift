package import BatonPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local Postgres cluster Baton starts itself when no database is configured: data and
/// unix socket under `.baton/postgres`, no TCP port. As root, the server runs as the
/// `postgres` system user (Postgres refuses to run as root).
///
/// Which `.baton/postgres`: the way git finds `.git`, the first one in the current folder or
/// a folder above it; only when there is none up to `/` is one made in the current folder.
/// So `cd sub && baton status` uses the project's cluster, not a new one.
package struct EmbeddedPostgres: Sendable {
    /// `.baton/postgres` (absolute).
    package let directory: String
    package var dataDirectory: String { directory + "/data" }
    package var logFile: String { directory + "/server.log" }
    package static let databaseName = "baton"

    /// `directory` defaults to the `.baton/postgres` found by ``locate(from:)``; if that is a
    /// symbolic link (see ``prepared()``), the folder it points to.
    package init(directory: String? = nil) {
        let path = directory ?? EmbeddedPostgres.locate(from: FileManager.default.currentDirectoryPath)
        self.directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? path
    }

    /// The first `.baton/postgres` (a folder or a link) in `start` or a folder above it; if
    /// there is none, the one to create in `start`.
    package static func locate(from start: String) -> String {
        var folder = URL(fileURLWithPath: start, isDirectory: true).standardizedFileURL
        while true {
            let candidate = folder.appendingPathComponent(".baton/postgres").path
            var info = stat()
            if lstat(candidate, &info) == 0 { return candidate }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path || folder.path == "/" { break }
            folder = parent
        }
        return URL(fileURLWithPath: start, isDirectory: true).standardizedFileURL.appendingPathComponent(".baton/postgres").path
    }

    /// Whether a cluster was ever created here (running or not).
    package var exists: Bool { FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") }

    /// `psql "host=… dbname=baton user=postgres"`: how a person reaches it.
    package var psqlCommand: String { "psql \"host=\(directory) dbname=\(EmbeddedPostgres.databaseName) user=postgres\"" }

    /// Makes sure the cluster's folder exists and the server's user can reach it. As root, the
    /// server runs as `postgres`, which cannot enter a folder such as `/root/project`: then
    /// the cluster lives in `/var/lib/baton/clusters/<hash>` and `.baton/postgres` is a
    /// symbolic link to it. Returns the value to use from then on.
    package func prepared() throws -> EmbeddedPostgres {
        guard getuid() == 0 else { return self }
        let fm = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let reachable = (try? ProcessRunner.run("/usr/bin/test", ["-x", parent], asUser: "postgres"))?.status == 0
        if reachable { return self }
        if fm.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            throw BatonError(.unavailable, "the postgres user cannot reach \(directory); move the project folder or set BATON_DATABASE_URL")
        }
        // A leftover of an earlier failed start (no cluster in it): replace it by the link.
        if fm.fileExists(atPath: directory) { try fm.removeItem(atPath: directory) }
        let home = "/var/lib/baton/clusters/" + StableHash.hex(directory).prefix(12)
        try fm.createDirectory(atPath: home, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: directory, withDestinationPath: home)
        return EmbeddedPostgres(directory: home)
    }

    /// How to connect once it runs.
    package var config: ConnectionConfig {
        ConnectionConfig(parameters: [("host", directory), ("user", "postgres"), ("dbname", EmbeddedPostgres.databaseName)])
    }

    /// The folder holding `initdb` and `pg_ctl`: `BATON_PG_BINDIR` if set, else on PATH,
    /// else the newest `/usr/lib/postgresql/*/bin`.
    package static func serverBinaries() -> String? {
        let fm = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["BATON_PG_BINDIR"], !dir.isEmpty {
            return fm.isExecutableFile(atPath: dir + "/pg_ctl") && fm.isExecutableFile(atPath: dir + "/initdb") ? dir : nil
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        where fm.isExecutableFile(atPath: dir + "/pg_ctl") && fm.isExecutableFile(atPath: dir + "/initdb") {
            return dir
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).compactMap { Int($0) }.sorted(by: >)
        for version in versions where fm.isExecutableFile(atPath: "\(root)/\(version)/bin/pg_ctl") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    private func binaries() throws -> String {
        guard let bin = EmbeddedPostgres.serverBinaries() else {
            throw BatonError(.unavailable, """
                no database configured and no Postgres server to start one: install the `postgresql` package \
                (apt-get install postgresql), or point Baton at a database with --database-url or BATON_DATABASE_URL
                """)
        }
        return bin
    }

    /// Whether the server answers on its socket.
    package var isRunning: Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") else { return false }
        return (try? Connection(config.with("dbname", "postgres"))) != nil
    }

    /// Creates the cluster if needed and starts it if it is not running. Returns what it did,
    /// for the one-line notice on stderr, or nil when it was running already (nothing to
    /// say). Serialised across processes with a file lock.
    @discardableResult
    package func start() throws -> String? {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let socketPath = directory + "/.s.PGSQL.5432"
        if socketPath.utf8.count > 107 {
            throw BatonError(.unavailable, "the folder \(directory) is too deep for a unix socket path (max 107 bytes); set BATON_DATABASE_URL instead")
        }
        let lock = open(directory + "/.lock", O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw BatonError(.unavailable, "cannot create \(directory)/.lock") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }

        if isRunning {
            try createDatabaseIfMissing()
            return nil
        }
        let bin = try binaries()
        let asRoot = getuid() == 0
        let owner = asRoot ? "postgres" : nil
        if asRoot {
            _ = try ProcessRunner.run("/bin/chown", ["postgres:postgres", directory])
        }
        var did = "started"
        if !fm.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            let initdb = try ProcessRunner.run(bin + "/initdb", [
                "-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
            ], asUser: owner)
            guard initdb.status == 0 else {
                throw BatonError(.unavailable, "initdb failed for \(dataDirectory):\n\(initdb.output)")
            }
            did = "created and started"
        }
        // A stale pid file from a killed server is handled by pg_ctl itself.
        let started = try ProcessRunner.run(bin + "/pg_ctl", [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start",
            "-o", "-k \(directory) -c listen_addresses='' -c max_connections=200",
        ], asUser: owner)
        guard started.status == 0 else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(10).joined(separator: "\n") ?? ""
            throw BatonError(.unavailable, "could not start the local Postgres in \(directory):\n\(started.output)\(log)")
        }
        try createDatabaseIfMissing()
        return "\(did) a local Postgres in \(directory) (stop it with `baton postgres stop`)"
    }

    private func createDatabaseIfMissing() throws {
        let admin = try Connection(config.with("dbname", "postgres"))
        let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [EmbeddedPostgres.databaseName]).rowCount > 0
        guard !exists else { return }
        do {
            try admin.execute("CREATE DATABASE \(EmbeddedPostgres.databaseName)")
        } catch let error as PostgresError where error.sqlState == "42P04" {
            // Another baton process created it a moment ago.
        }
    }

    /// Stops the server (fast shutdown). Returns false if it was not running.
    @discardableResult
    package func stop() throws -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") else { return false }
        let bin = try binaries()
        let result = try ProcessRunner.run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"],
                                           asUser: getuid() == 0 ? "postgres" : nil)
        guard result.status == 0 else {
            throw BatonError(.unavailable, "could not stop the local Postgres in \(directory): \(result.output)")
        }
        return true
    }
}
