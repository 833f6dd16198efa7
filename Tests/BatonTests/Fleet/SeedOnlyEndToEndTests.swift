import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// `baton run --seed-only`: one machine enqueues the source, `baton work` processes work it.
/// The seeder reads the next chunk while the database loads the one before; these runs span
/// several chunks (50 000 records each in bulk), so a chunk read ahead is used, or dropped
/// when another process seeded it.
@Suite("baton run --seed-only (end to end)", .serialized)
struct SeedOnlyEndToEndTests {
    static let items = 12_345

    static func pipeline(_ ws: Workspace, items: Int = items) throws -> String {
        try ws.write("fixtures/many.jsonl", (1...items).map { #"{"id": \#($0), "note": "tab\there \\ back"}"# }.joined(separator: "\n") + "\n")
        return try ws.write("many.yaml", """
            pipeline: many
            setup: CREATE TABLE IF NOT EXISTS out_many (id int PRIMARY KEY, note text NOT NULL)
            source:
              jsonl: \(ws.url.path)/fixtures/many.jsonl
              key: .id
            stages:
              - name: load
                sql: insert into out_many (id, note) values (:id, :note)
            """)
    }

    /// Pipeline NAME over NAME.jsonl: `total` records `{"id": N, "pad": "xx…"}` (several bulk
    /// chunks), keyed by id, with `stages` (YAML list items, indented two spaces).
    static func paddedPipeline(_ ws: Workspace, name: String, total: Int, setup: String? = nil, stages: String) throws -> String {
        try ws.write("\(name).jsonl", (1...total).map { #"{"id": \#($0), "pad": "\#(String(repeating: "x", count: 40))"}"# }.joined(separator: "\n") + "\n")
        return try ws.write("\(name).yaml", """
            pipeline: \(name)
            \(setup.map { "setup: \($0)" } ?? "")
            source:
              jsonl: \(ws.url.path)/\(name).jsonl
              key: .id
            stages:
            \(stages)
            """)
    }

    /// Whether a statement starting with `prefix` is seen running in this test's database
    /// (polled every few milliseconds, for up to 90 s). This database only: other suites seed
    /// in bulk on the same server meanwhile, and the migrations that create the functions
    /// name them too.
    static func seesRunning(_ conn: Connection, _ prefix: String) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let running = (try? Ops.count(conn, """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'active' AND starts_with(query, '\(prefix)') AND pid <> pg_backend_pid()
                """)) ?? 0
            if running > 0 { return true }
            try await Task.sleep(for: .milliseconds(2))
        }
        return false
    }

    @Test func seedsEverythingExitsZeroAndLeavesTheRunToTheWorkers() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            let seeded = try await BatonProcess.start(["run", file, "--run", "bulk", "--seed-only", "--progress", "none"], database: db)
                .wait(timeout: .seconds(120))
            #expect(seeded.status == 0, "\(seeded)")
            #expect(seeded.stdout.contains("seeded 12345 items, left running"), "\(seeded)")
            #expect(seeded.stdout.contains("exit 0: every source record is enqueued; work the run with `baton work` or `baton resume bulk`"), "\(seeded)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT state || ' ' || seeded || ' ' || seed_done FROM baton.runs WHERE name = 'bulk'") == ["running 12345 true"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_many") == 0, "no item was worked")
            #expect(try Ops.count(conn, "SELECT count(DISTINCT key) FROM baton.item_rows WHERE stage = 'load'") == Self.items)

            let worked = try await BatonProcess.start(["work", "--once", "--poll", "0.2", "--progress", "none"], database: db)
                .wait(timeout: .seconds(180))
            #expect(worked.status == 0, "\(worked)")
            #expect(try Ops.runState(conn, "bulk") == "succeeded")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_many WHERE note = E'tab\\there \\\\ back'") == Self.items)
        }
    }

    @Test func twoProcessesSeedingOneRunEnqueueEveryRecordOnce() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let items = 123_456  // three chunks
            let file = try Self.pipeline(ws, items: items)
            let processes = try (0..<2).map { _ in
                try BatonProcess.start(["run", file, "--run", "shared", "--seed-only", "--json", "--progress", "none"], database: db)
            }
            for process in processes {
                let output = try await process.wait(timeout: .seconds(120))
                #expect(output.status == 0, "\(output)")
            }
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done FROM baton.runs WHERE name = 'shared'") == ["\(items) true"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.item_rows") == items)
            #expect(try Ops.count(conn, "SELECT coalesce(sum(size), 0) FROM baton.batches WHERE state = 'pending'") == items)
            let resumed = try await BatonProcess.start(["resume", "shared", "--progress", "none"], database: db).wait(timeout: .seconds(180))
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_many") == items)
        }
    }
    /// `--seed-only` of a file seeds in bulk (migration 9): records whose key an earlier chunk
    /// had are dropped when seeding ends, the first one kept, and counted, as row-by-row
    /// seeding does; the run's table ends with both indexes, under baton.item_rows.
    @Test func bulkSeedingDropsKeysRepeatedAcrossChunksAndKeepsTheFirst() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            // Lines 70 001–70 010 repeat ids 11–20 (another chunk: in bulk, chunks hold 50 000 records).
            let lines = (1...120_000).map { line in #"{"id": \#(line > 70_000 && line <= 70_010 ? line - 69_990 : line), "v": \#(line)}"# }
            try ws.write("dup.jsonl", lines.joined(separator: "\n") + "\n")
            let file = try ws.write("dup.yaml", """
                pipeline: dup
                setup: CREATE TABLE IF NOT EXISTS out_dup (id int PRIMARY KEY, v int NOT NULL)
                source:
                  jsonl: \(ws.url.path)/dup.jsonl
                  key: .id
                stages:
                  - name: load
                    sql: insert into out_dup (id, v) values (:id, :v)
                """)
            let seeded = try await BatonProcess.start(["run", file, "--run", "d", "--seed-only", "--progress", "none"], database: db)
                .wait(timeout: .seconds(120))
            #expect(seeded.status == 0, "\(seeded)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done || ' ' || (bulk_max_attempts IS NULL) FROM baton.runs") == ["119990 true true"])
            #expect(try Ops.count(conn, "SELECT coalesce(sum(amount), 0) FROM baton.counters WHERE counter = 'deduplicated'") == 10)
            #expect(try Ops.rows(conn, "SELECT source_total FROM baton.runs") == ["120000"], "counted as it was loaded")
            #expect(try Ops.count(conn, "SELECT sum(size) FROM baton.batches WHERE state = 'pending'") == 119_990)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending'") == 119_990)
            #expect(try Ops.count(conn, """
                SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_inherits h ON h.inhrelid = c.oid
                WHERE c.relname = 'item_rows_1' AND x.indisunique
                """) == 2, "both unique indexes, and attached")
            let worked = try await BatonProcess.start(["work", "--once", "--poll", "0.2", "--progress", "none"], database: db)
                .wait(timeout: .seconds(180))
            #expect(worked.status == 0, "\(worked)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_dup") == 119_990)
            #expect(try Ops.rows(conn, "SELECT string_agg(v::text, ',' ORDER BY id) FROM out_dup WHERE id BETWEEN 11 AND 20") == ["11,12,13,14,15,16,17,18,19,20"])
        }
    }

    /// Seeding in bulk has no check of the whole file before the run exists: a record it
    /// cannot enqueue, two chunks (of 50 000) in, fails the seeding (exit 65, naming file and line) and
    /// removes the run, its table and what the chunks before had loaded. Nothing is left behind.
    @Test func aBadRecordMetWhileSeedingInBulkRemovesTheRun() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let lines = (1...120_000).map { $0 == 110_000 ? #"{"id": 110000, "broken""# : #"{"id": \#($0)}"# }
            try ws.write("bad.jsonl", lines.joined(separator: "\n") + "\n")
            let file = try ws.write("bad.yaml", """
                pipeline: bad
                source:
                  jsonl: \(ws.url.path)/bad.jsonl
                  key: .id
                stages:
                  - name: shape
                    jq: .
                """)
            let seeded = try await BatonProcess.start(["run", file, "--run", "b", "--seed-only", "--progress", "none"], database: db)
                .wait(timeout: .seconds(120))
            #expect(seeded.status == 65, "\(seeded)")
            #expect(seeded.stderr.contains("bad.jsonl:110000: "), "\(seeded)")
            #expect(seeded.stderr.contains("nothing was enqueued: run b, seeded in bulk, was removed"), "\(seeded)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0)
            #expect(try Ops.count(conn, "SELECT count(*) FROM pg_class WHERE relname ~ '^item_rows_[0-9]+$'") == 0, "its table is dropped")
            // The same name is free again, and the fixed file seeds.
            try ws.write("bad.jsonl", (1...120_000).map { #"{"id": \#($0)}"# }.joined(separator: "\n") + "\n")
            let again = try await BatonProcess.start(["run", file, "--run", "b", "--seed-only", "--progress", "none"], database: db)
                .wait(timeout: .seconds(120))
            #expect(again.status == 0, "\(again)")
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done FROM baton.runs WHERE name = 'b'") == ["120000 true"])
        }
    }

    /// SIGINT while the last chunk's transaction builds the indexes (seconds for a large run):
    /// the release commits, so the seeding the process was asked for is done: exit 0, as
    /// without the signal (it exited 130, though every record was enqueued).
    @Test func aSignalDuringTheBulkReleaseStillExitsZero() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let total = 300_000
            let file = try Self.paddedPipeline(ws, name: "rel", total: total, stages: """
                  - name: shape
                    jq: .
                """)
            let conn = try db.connect()
            let process = try BatonProcess.start(["run", file, "--run", "r", "--seed-only", "--progress", "none"], database: db)
            #expect(try await Self.seesRunning(conn, "SELECT baton.release_bulk_seed("), "the release was seen running")
            process.signal(SIGINT)
            let output = try await process.wait(timeout: .seconds(120))
            #expect(output.status == 0, "\(output)")
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done || ' ' || (bulk_max_attempts IS NULL) FROM baton.runs") == ["\(total) true true"])
        }
    }

    /// SIGKILL while the indexes are built ahead of the last chunk: nothing of the run is
    /// visible meanwhile; the rerun adopts what was built, enqueues every record once, and the
    /// run's table ends with one index of each kind; its items are worked.
    @Test func aBulkSeedingKilledWhileItsIndexesAreBuiltResumesCleanly() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let total = 300_000
            let file = try Self.paddedPipeline(ws, name: "idx", total: total, setup: "CREATE TABLE IF NOT EXISTS out_idx (id int PRIMARY KEY)", stages: """
                  - name: load
                    sql: insert into out_idx (id) values (:id)
                """)
            let conn = try db.connect()
            let process = try BatonProcess.start(["run", file, "--run", "i", "--seed-only", "--progress", "none"], database: db)
            #expect(try await Self.seesRunning(conn, "SELECT baton.build_bulk_index("), "the index builds were seen running")
            process.signal(SIGKILL)
            _ = try await process.wait(timeout: .seconds(30))
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs WHERE name = 'i' AND NOT seed_done AND bulk_max_attempts IS NOT NULL") == 1)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items") == 0, "nothing visible before the release")

            let resumed = try await BatonProcess.start(["run", file, "--run", "i", "--seed-only", "--progress", "none"], database: db)
                .wait(timeout: .seconds(120))
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done || ' ' || (bulk_max_attempts IS NULL) FROM baton.runs WHERE name = 'i'") == ["\(total) true true"])
            #expect(try Ops.rows(conn, """
                SELECT string_agg(c.contype::text, '' ORDER BY c.contype) FROM pg_index x JOIN baton.runs r ON x.indrelid = ('baton.item_rows_' || r.id)::regclass
                LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid WHERE r.name = 'i'
                """) == ["pu"], "one primary key and one unique constraint")
            #expect(try Ops.count(conn, "SELECT count(DISTINCT key) FROM baton.items WHERE state = 'pending'") == total)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.bulk_batches") == 0)
            let worked = try await BatonProcess.start(["resume", "i", "--progress", "none"], database: db).wait(timeout: .seconds(180))
            #expect(worked.status == 0, "\(worked)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_idx") == total)
        }
    }

    /// SIGKILL in the middle of a bulk seeding: nothing of the run can be claimed or seen
    /// (its table stands alone, with no batches); the rerun goes on where the position says,
    /// and every record is enqueued once. A cancel of such a run makes its items visible, and
    /// cancelled.
    @Test func aBulkSeedingKilledHalfwayResumesAndEnqueuesEveryRecordOnce() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let total = 300_000
            let file = try Self.paddedPipeline(ws, name: "big", total: total, setup: "CREATE TABLE IF NOT EXISTS out_big (id int PRIMARY KEY)", stages: """
                  - name: load
                    sql: insert into out_big (id) values (:id)
                """)
            let conn = try db.connect()
            for name in ["k", "c"] {
                let process = try BatonProcess.start(["run", file, "--run", name, "--seed-only", "--progress", "none"], database: db)
                let deadline = ContinuousClock.now + .seconds(60)
                // (The first process creates the schema: until then the query fails.)
                while ContinuousClock.now < deadline,
                      (try? Ops.count(conn, "SELECT count(*) FROM baton.runs WHERE name = '\(name)' AND seeded > 0")) ?? 0 == 0 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                process.signal(SIGKILL)
                _ = try await process.wait(timeout: .seconds(30))
                let seeded = try Ops.count(conn, "SELECT seeded FROM baton.runs WHERE name = '\(name)' AND NOT seed_done AND bulk_max_attempts IS NOT NULL")
                #expect(seeded > 0 && seeded < total, "killed halfway: \(seeded) seeded")
                #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items i JOIN baton.runs r ON r.id = i.run_id WHERE r.name = '\(name)'") == 0)
                #expect(try Ops.count(conn, "SELECT count(*) FROM baton.batches b JOIN baton.runs r ON r.id = b.run_id WHERE r.name = '\(name)'") == 0)
                // An item that exists but cannot be seen yet is not reported as missing.
                let explained = try await BatonProcess.run(["explain", name, "1"], database: db)
                #expect(explained.status == 64 && explained.stderr.contains("is being seeded in bulk"), "\(explained)")
            }
            let resumed = try await BatonProcess.start(["run", file, "--run", "k", "--seed-only", "--progress", "none"], database: db)
                .wait(timeout: .seconds(120))
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done FROM baton.runs WHERE name = 'k'") == ["\(total) true"])
            let worked = try await BatonProcess.start(["resume", "k", "--progress", "none"], database: db).wait(timeout: .seconds(180))
            #expect(worked.status == 0, "\(worked)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_big") == total)

            let seededC = try Ops.count(conn, "SELECT seeded FROM baton.runs WHERE name = 'c'")
            let cancelled = try await BatonProcess.start(["cancel", "c"], database: db).wait(timeout: .seconds(60))
            #expect(cancelled.status == 0, "\(cancelled)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items i JOIN baton.runs r ON r.id = i.run_id WHERE r.name = 'c' AND i.state = 'cancelled'") == seededC)
        }
    }
}
