import ArgumentParser
import Baton
import BatonPostgres
import Foundation
import Logging
import Synchronization

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "Postgres URL (else BATON_DATABASE_URL, DATABASE_URL, PGHOST/PGDATABASE/PGSERVICE, else a local cluster in .baton/postgres).",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("pooler"), help: ArgumentHelp(
        "What sits between Baton and Postgres: auto (detect a pooler), none, session, or transaction (PgBouncer pool_mode = transaction: no session state, poll only). Else the URL's baton_pooler=MODE, else BATON_POOLER, else auto.",
        valueName: "mode"))
    var pooler: PoolerOption?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: LogLevelOption = .notice

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line on stderr).")
    var logFormat: LogFormat = .text

    /// Sets up logging (once) and returns the root logger.
    func logger() -> Logger {
        LogSetup.bootstrap(level: logLevel.level, format: logFormat)
        var logger = Logger(label: "baton")
        logger.logLevel = logLevel.level
        return logger
    }

    /// Connection settings, starting the embedded cluster if no database is configured.
    func database() throws -> ConnectionConfig {
        try GlobalOptions.database(explicitURL: databaseURL, pooler: pooler?.mode)
    }

    /// The database for `--database-url URL` (nil: the environment's, else the embedded one).
    static func database(explicitURL: String?, pooler: PoolerMode? = nil) throws -> ConnectionConfig {
        // Resolved once per process (starting the local cluster, and saying so, only once).
        try GlobalOptions.resolved.withLock { resolved in
            if let config = resolved { return config }
            var config = try DatabaseLocator().resolve(explicitURL: explicitURL, pooler: pooler) { notice in
                LogSetup.message(notice)
            }
            // Every session of every command, not only a run's (``RunContext/guarded(_:pipeline:)``):
            // Baton keeps its own deadlines, and a role's or database's statement_timeout once
            // cancelled its statements (a stall check, a COPY) with exit 70.
            config.sessionSettings.append(("statement_timeout", "0"))
            resolved = config
            return config
        }
    }

    private static let resolved = Mutex<ConnectionConfig?>(nil)

    /// With no database configured and no local cluster in the current folder or one above
    /// it: why there is no run to look at. Commands that only look at runs ask this first, so
    /// that `cd /tmp && baton status` does not create an empty cluster in /tmp.
    func missingLocalCluster() -> String? {
        guard case .embedded(let embedded) = DatabaseLocator().choose(explicitURL: databaseURL), !embedded.exists else { return nil }
        return "no database is configured and there is no local Postgres in \(FileManager.default.currentDirectoryPath) or a folder above it "
            + "(.baton/postgres); run baton from the project's folder, or set --database-url or BATON_DATABASE_URL"
    }

    /// Runs `body` on a connection (on a thread of its own, not the cooperative pool).
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let config = try database()
        let session = PostgresSession(config: config, name: "baton-cli")
        do {
            return try await session.withConnection(body)
        } catch let error as PostgresError where error.code == .connectionFailed {
            throw FailurePolicy.connectionFailure(error)
        }
    }
}
