package import BatonPostgres

/// Every SQL statement Baton runs against its own schema, grouped by concern in
/// `Store+*.swift`. Functions take the connection to run on; they never open transactions
/// unless their name says so. Bound parameters only.
package enum Store {
    /// The advisory lock key that serialises migrations (`'baton'` as an integer).
    static let migrationLockKey: Int64 = 0x6261_746f_6e

    /// One applied or pending migration.
    package struct MigrationStatus: Sendable, Hashable {
        package var version: Int
        package var name: String
        package var appliedAt: String?
    }

    /// Creates or upgrades schema `baton`. Idempotent; concurrent callers serialise on a
    /// transaction-scoped advisory lock, and all migrations apply in one transaction.
    /// Returns the versions it applied. `through` stops at a version (tests of an upgrade).
    @discardableResult
    package static func migrate(_ conn: Connection, through last: Int = .max) throws -> [Int] {
        // Up to date: nothing written, so a role without CREATE (or a read-only standby) is told so.
        if last == .max, try isCurrent(conn) { return [] }
        return try conn.transaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock($1)", [migrationLockKey])
            try conn.execute("""
                CREATE SCHEMA IF NOT EXISTS baton;
                CREATE TABLE IF NOT EXISTS baton.schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try conn.query("SELECT version FROM baton.schema_migrations").rows.map { try $0.decode(Int.self, 0) })
            var done: [Int] = []
            for migration in Migrations.all where !applied.contains(migration.version) && migration.version <= last {
                try conn.execute(migration.sql)
                try conn.query("INSERT INTO baton.schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name])
                done.append(migration.version)
            }
            return done
        }
    }

    /// Applied and pending migrations, in order.
    package static func migrationStatus(_ conn: Connection) throws -> [MigrationStatus] {
        let exists = try conn.query("SELECT to_regclass('baton.schema_migrations') IS NOT NULL").rows[0].decode(Bool.self, 0)
        var applied: [Int: String] = [:]
        if exists {
            for row in try conn.query("SELECT version, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM baton.schema_migrations").rows {
                applied[try row.decode(Int.self, 0)] = try row.decode(String.self, 1)
            }
        }
        return Migrations.all.map { MigrationStatus(version: $0.version, name: $0.name, appliedAt: applied[$0.version]) }
    }

    /// Every migration Baton knows, in order.
    package static var migrations: [(version: Int, name: String)] { Migrations.all.map { ($0.version, $0.name) } }

    /// True when every known migration is applied.
    package static func isCurrent(_ conn: Connection) throws -> Bool {
        try migrationStatus(conn).allSatisfy { $0.appliedAt != nil }
    }

    /// Whether the schema is there but older than this baton's: some migrations applied,
    /// not all (a store an earlier version made; `baton run`, `work` and `migrate` upgrade it).
    /// Then what to say, else nil.
    package static func olderSchema(_ conn: Connection) throws -> String? {
        let status = try migrationStatus(conn)
        let applied = status.filter { $0.appliedAt != nil }.count
        guard applied > 0, applied < status.count else { return nil }
        return "Baton's schema in this database is older than this baton's (\(applied) of \(status.count) migrations applied): "
            + "upgrade it with `baton migrate` (`baton run` and `baton work` do it too)"
    }
}
