@testable import Baton
import BatonPostgres
import BatonTestSupport
import Testing

/// Upgrades of a store that already holds runs.
@Suite("Schema upgrades")
struct SchemaUpgradeTests {
    /// Migration 8 makes item keys compare byte by byte in the tables of existing runs and of
    /// new ones, keeps keys unique, and keeps the view `baton.items`.
    @Test func keysOfExistingAndNewRunsCompareByteByByte() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn, through: 7)
            try conn.execute("""
                SELECT baton.add_run_partition(99);
                INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id)
                VALUES (99, 1, 's', 'B', '{}', 1), (99, 2, 's', 'a', '{}', 1);
                """)
            #expect(try Self.keyCollation(conn, "item_rows_99") == "default")
            #expect(try Store.migrate(conn, through: 8) == [8])
            #expect(try Self.keyCollation(conn, "item_rows") == "C")
            #expect(try Self.keyCollation(conn, "item_rows_99") == "C")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.item_rows WHERE key IN ('a', 'B')") == 2)
            #expect(throws: PostgresError.self) {
                try conn.execute("INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id) VALUES (99, 3, 's', 'a', '{}', 1)")
            }
            // A run's table made after the upgrade is like its parent, so it attaches.
            try conn.execute("SELECT baton.add_run_partition(100)")
            #expect(try Self.keyCollation(conn, "item_rows_100") == "C")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items") == 0)
            // Migration 9 (seeding in bulk) leaves the runs already there as they are.
            try conn.execute("INSERT INTO baton.runs (id, pipeline, name, definition, definition_hash) OVERRIDING SYSTEM VALUE VALUES (99, 'p', 'r', '{}', 'h')")
            #expect(try Store.migrate(conn) == [9])
            #expect(try EngineFixture.count(conn, "SELECT baton.release_bulk_seed(99)") == 0, "not seeded in bulk: nothing to release")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.item_rows WHERE run_id = 99") == 2)
            #expect(try Store.migrate(conn).isEmpty)
        }
    }

    private static func keyCollation(_ conn: Connection, _ table: String) throws -> String {
        try conn.query("""
            SELECT c.collname::text FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
            WHERE a.attrelid = ('baton.' || $1)::regclass AND a.attname = 'key'
            """, [table]).rows[0].decode(String.self, 0)
    }
}
