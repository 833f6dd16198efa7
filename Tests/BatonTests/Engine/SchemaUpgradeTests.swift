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
            #expect(try Store.migrate(conn, through: 9) == [9])
            #expect(try EngineFixture.count(conn, "SELECT baton.release_bulk_seed(99)") == 0, "not seeded in bulk: nothing to release")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.item_rows WHERE run_id = 99") == 2)
            #expect(try Store.migrate(conn, through: 9).isEmpty)
        }
    }

    /// Migration 10 puts the key first in the unique index of every run's table: of runs
    /// already there, of a run seeded in bulk at the time (its release builds the new one),
    /// and of new runs; keys stay unique per stage, and `ON CONFLICT (run_id, stage, key)`
    /// still finds the index.
    @Test func theUniqueItemIndexLeadsWithTheKeyInOldAndNewRuns() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn, through: 9)
            try conn.execute("""
                INSERT INTO baton.runs (id, pipeline, name, definition, definition_hash) OVERRIDING SYSTEM VALUE
                VALUES (99, 'p', 'old', '{}', 'h'), (100, 'p', 'bulk', '{}', 'h');
                SELECT baton.add_run_partition(99);
                INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id)
                VALUES (99, 1, 's', 'a', '{}', 1), (99, 2, 't', 'a', '{}', 1);
                SELECT baton.add_bulk_run_table(100);
                UPDATE baton.runs SET bulk_max_attempts = 3 WHERE id = 100;
                INSERT INTO baton.item_rows_100 (run_id, id, stage, key, payload, batch_id)
                VALUES (100, 3, 's', 'x', '{}', 2), (100, 4, 's', 'x', '{}', 2), (100, 5, 's', 'y', '{}', 2);
                """)
            #expect(try Self.uniqueColumns(conn, "item_rows_99") == "run_id, stage, key")
            #expect(try Store.migrate(conn, through: 10) == [10])
            #expect(try Self.uniqueColumns(conn, "item_rows") == "key, stage, run_id")
            #expect(try Self.uniqueColumns(conn, "item_rows_99") == "key, stage, run_id")
            #expect(throws: PostgresError.self) {
                try conn.execute("INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id) VALUES (99, 6, 's', 'a', '{}', 1)")
            }
            try conn.execute("""
                INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id) VALUES (99, 7, 's', 'a', '{}', 1), (99, 8, 's', 'b', '{}', 1)
                ON CONFLICT (run_id, stage, key) DO NOTHING
                """)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.item_rows WHERE run_id = 99") == 3)
            // The run seeded in bulk meanwhile: its release drops the repeated key and builds the new index.
            #expect(try EngineFixture.count(conn, "SELECT baton.release_bulk_seed(100)") == 1)
            #expect(try Self.uniqueColumns(conn, "item_rows_100") == "key, stage, run_id")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.item_rows WHERE run_id = 100") == 2)
            try conn.execute("SELECT baton.add_run_partition(101)")
            #expect(try Self.uniqueColumns(conn, "item_rows_101") == "key, stage, run_id")
            #expect(try Store.migrate(conn, through: 10).isEmpty)
        }
    }

    /// Migration 11 drops the results' foreign key to the runs: a deleted run's results go
    /// with it all the same (a trigger), other runs' stay.
    @Test func aDeletedRunTakesItsResultsWithoutAForeignKey() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn, through: 10)
            try Self.twoRunsWithResults(conn)
            #expect(try Store.migrate(conn, through: 11) == [11])
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'baton.results'::regclass AND contype = 'f'") == 0)
            try conn.execute("DELETE FROM baton.runs WHERE id = 1")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results WHERE run_id = 1") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results WHERE run_id = 2") == 1)
        }
    }

    /// A commit that fenced its batch and wrote a result while the run is deleted (`prune`):
    /// the deletion waits for the commit, then removes what it wrote; nothing is left behind.
    @Test func aResultCommittedWhileItsRunIsDeletedGoesWithTheRun() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn)
            try Self.twoRunsWithResults(conn)
            try conn.execute("""
                INSERT INTO baton.batches (id, run_id, stage, state, max_attempts, size, lease_token, leased_until)
                VALUES (77, 1, 's', 'running', 1, 1, '00000000-0000-0000-0000-000000000077', now() + interval '1 minute')
                """)
            let committer = try db.connect()
            try committer.execute("BEGIN")
            try committer.execute("SELECT baton.hold_batches(ARRAY[77]::bigint[], '00000000-0000-0000-0000-000000000077')")
            try committer.execute("INSERT INTO baton.results (run_id, key, stage, payload) VALUES (1, 'late', 's', '{}')")
            let deletion = Task.detached {
                let pruner = try db.connect()
                return try pruner.query("DELETE FROM baton.runs WHERE id = 1").affectedRows
            }
            // The deletion waits for the committer's lock on the batch.
            var waiting = false
            for _ in 0..<200 where !waiting {
                try await Task.sleep(for: .milliseconds(20))
                waiting = try EngineFixture.count(conn, """
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    AND query LIKE 'DELETE FROM baton.runs%'
                    """) == 1
            }
            #expect(waiting, "the deletion waited for the commit")
            try committer.execute("COMMIT")
            #expect(try await deletion.value == 1)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results WHERE run_id = 1") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results WHERE run_id = 2") == 1)
        }
    }

    /// Migration 12, for a run seeded in bulk when it is applied (its chunks kept no batches):
    /// the release groups its rows into batches as before, though the chunk written after the
    /// upgrade kept its own (they do not cover the run). Every item is visible, in a batch of
    /// the right size, and nothing is left kept.
    @Test func aRunSeededInBulkAcrossTheUpgradeGetsEveryBatch() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn, through: 11)
            try Self.bulkRun(conn, id: 100, rows: "(100, 1 << 21, 's', 'a', '{}', 1), (100, (1 << 21) + 1, 's', 'b', '{}', 1)")
            #expect(try Store.migrate(conn) == [12])
            try conn.execute("""
                INSERT INTO baton.item_rows_100 (run_id, id, stage, key, payload, batch_id) VALUES (100, 2 << 21, 's', 'c', '{}', 2);
                INSERT INTO baton.bulk_batches (run_id, id, stage, size, failed) VALUES (100, 2, 's', 1, 0);
                """)
            #expect(try EngineFixture.count(conn, "SELECT baton.release_bulk_seed(100)") == 0)
            #expect(try Self.batchSizes(conn, run: 100) == ["1 2 pending", "2 1 pending"])
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE run_id = 100") == 3)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.bulk_batches") == 0)
        }
    }

    /// The release adopts the indexes built ahead (`baton.build_bulk_index`) and the batches
    /// the chunks kept: one index of each kind, under the constraint names, and the kept
    /// batches as they were (a bad record's batch finished). A key seeded twice: the unique
    /// build builds nothing, and the release drops the later record and groups the rows.
    @Test func theReleaseAdoptsIndexesBuiltAheadAndKeptBatches() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn)
            try Self.bulkRun(conn, id: 100, rows: "(100, 1 << 21, 's', 'a', '{}', 1), (100, (1 << 21) + 1, 's', 'b', '{}', 1)")
            try conn.execute("""
                INSERT INTO baton.item_rows_100 (run_id, id, stage, key, payload, batch_id, outcome) VALUES (100, 2 << 21, 's', 'line:9', '{}', 2, 'failed');
                INSERT INTO baton.bulk_batches (run_id, id, stage, size, failed) VALUES (100, 1, 's', 2, 0), (100, 2, 's', 1, 1);
                """)
            #expect(try Ops.rows(conn, "SELECT baton.build_bulk_index(100, true)::text || baton.build_bulk_index(100, false)::text") == ["truetrue"])
            #expect(try Ops.rows(conn, "SELECT baton.build_bulk_index(99, true)::text") == ["false"], "no such run in bulk: nothing built")
            #expect(try EngineFixture.count(conn, "SELECT baton.release_bulk_seed(100)") == 0)
            #expect(try Ops.rows(conn, """
                SELECT string_agg(i.relname || ' ' || coalesce(c.contype::text, '-'), ', ' ORDER BY i.relname)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid
                WHERE x.indrelid = 'baton.item_rows_100'::regclass
                """) == ["item_rows_100_key_stage_run_id_key u, item_rows_100_pkey p"])
            #expect(try Self.batchSizes(conn, run: 100) == ["1 2 pending", "2 1 done"])
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE run_id = 100") == 3)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.bulk_batches") == 0)

            try Self.bulkRun(conn, id: 101, rows: "(101, 3 << 21, 's', 'a', '{}', 3), (101, (3 << 21) + 1, 's', 'a', '{}', 3)")
            try conn.execute("INSERT INTO baton.bulk_batches (run_id, id, stage, size, failed) VALUES (101, 3, 's', 2, 0)")
            #expect(try Ops.rows(conn, "SELECT baton.build_bulk_index(101, true)::text || baton.build_bulk_index(101, false)::text") == ["falsetrue"])
            #expect(try EngineFixture.count(conn, "SELECT baton.release_bulk_seed(101)") == 1)
            #expect(try Self.batchSizes(conn, run: 101) == ["3 1 pending"])
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE run_id = 101 AND key = 'a'") == 1)
        }
    }

    /// A run seeded in bulk (table `baton.item_rows_ID` alone, `bulk_max_attempts` set) holding `rows`.
    private static func bulkRun(_ conn: Connection, id: Int, rows: String) throws {
        try conn.execute("""
            INSERT INTO baton.runs (id, pipeline, name, definition, definition_hash, bulk_max_attempts) OVERRIDING SYSTEM VALUE
            VALUES (\(id), 'p', 'bulk\(id)', '{}', 'h', 3);
            SELECT baton.add_bulk_run_table(\(id));
            INSERT INTO baton.item_rows_\(id) (run_id, id, stage, key, payload, batch_id) VALUES \(rows);
            UPDATE baton.runs SET seeded = (SELECT count(*) FROM baton.item_rows_\(id)) WHERE id = \(id);
            """)
    }

    /// A run's batches, "id size state", by id.
    private static func batchSizes(_ conn: Connection, run: Int) throws -> [String] {
        try Ops.rows(conn, "SELECT id || ' ' || size || ' ' || state FROM baton.batches WHERE run_id = \(run) ORDER BY id")
    }

    /// A store an older baton made (some migrations applied, not all): `status` and the
    /// commands that look a run up said "no runs yet" (`status` with exit 0). Now they say
    /// the schema is older and how to upgrade it, with exit 64.
    @Test func anOlderStoreIsNamedAsSuchNotAsEmpty() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try Store.migrate(conn, through: 9)
            for arguments in [["status"], ["status", "r"], ["resume", "r"]] {
                let output = try await BatonProcess.run(arguments + ["--progress", "none"].filter { _ in arguments[0] == "resume" }, database: db)
                #expect(output.status == 64, "\(arguments): \(output)")
                #expect(output.stderr.contains("older than this baton's (9 of \(Migrations.all.count) migrations applied)"), "\(arguments): \(output)")
                #expect(output.stderr.contains("baton migrate"), "\(arguments): \(output)")
            }
        }
    }

    private static func twoRunsWithResults(_ conn: Connection) throws {
        try conn.execute("""
            INSERT INTO baton.runs (id, pipeline, name, definition, definition_hash) OVERRIDING SYSTEM VALUE
            VALUES (1, 'p', 'one', '{}', 'h'), (2, 'p', 'two', '{}', 'h');
            INSERT INTO baton.results (run_id, key, stage, payload) VALUES (1, 'a', 's', '{}'), (1, 'b', 's', '{}'), (2, 'a', 's', '{}');
            """)
    }

    /// The columns of the unique index (not the primary key) of `baton.<table>`, in order.
    private static func uniqueColumns(_ conn: Connection, _ table: String) throws -> String {
        try conn.query("""
            SELECT substring(pg_get_indexdef(i.indexrelid) FROM '\\((.*)\\)') FROM pg_index i
            WHERE i.indrelid = ('baton.' || $1)::regclass AND i.indisunique AND NOT i.indisprimary
            """, [table]).rows[0].decode(String.self, 0)
    }

    private static func keyCollation(_ conn: Connection, _ table: String) throws -> String {
        try conn.query("""
            SELECT c.collname::text FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
            WHERE a.attrelid = ('baton.' || $1)::regclass AND a.attname = 'key'
            """, [table]).rows[0].decode(String.self, 0)
    }
}
