import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// `baton run --seed-only`: one machine enqueues the source, `baton work` processes work it.
/// The seeder reads the next chunk while the database loads the one before; these runs span
/// several chunks (5 000 records each), so a chunk read ahead is used, or dropped when
/// another process seeded it.
@Suite("baton run --seed-only (end to end)", .serialized)
struct SeedOnlyEndToEndTests {
    static let items = 12_345

    static func pipeline(_ ws: Workspace) throws -> String {
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
            let file = try Self.pipeline(ws)
            let processes = try (0..<2).map { _ in
                try BatonProcess.start(["run", file, "--run", "shared", "--seed-only", "--json", "--progress", "none"], database: db)
            }
            for process in processes {
                let output = try await process.wait(timeout: .seconds(120))
                #expect(output.status == 0, "\(output)")
            }
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT seeded || ' ' || seed_done FROM baton.runs WHERE name = 'shared'") == ["12345 true"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.item_rows") == Self.items)
            #expect(try Ops.count(conn, "SELECT coalesce(sum(size), 0) FROM baton.batches WHERE state = 'pending'") == Self.items)
            let resumed = try await BatonProcess.start(["resume", "shared", "--progress", "none"], database: db).wait(timeout: .seconds(180))
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM out_many") == Self.items)
        }
    }
}
