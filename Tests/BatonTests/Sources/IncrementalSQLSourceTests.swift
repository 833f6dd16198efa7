import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `incremental:` on a `sql` source, run by the built binary: each run reads from the
/// committed cursor (minus the lookback), records read again are recognised by key and
/// cursor, and `baton cursor` inspects, sets and resets it.
@Suite("Incremental SQL sources (end to end)")
struct IncrementalSQLSourceTests {
    /// A `sql` source resumed after rows before its position were deleted skipped rows that
    /// had been there all along (the position was a row count): deleting ids 10 and 11 lost
    /// 60004 and 60005, exit 0. Now the rows read are checked by a hash, and when they changed
    /// the query is read again from its first row, deduplicated by key: nothing is lost.
    @Test func aQuerySourceResumedAfterItsRowsChangedLosesNoRow() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try conn.execute("CREATE TABLE src AS SELECT g AS id, 'n' || g AS name FROM generate_series(1, 40000) g")
            try conn.execute("CREATE TABLE src_out (id int)")
            let file = try ws.write("rows.yaml", """
                pipeline: rows
                source:
                  sql: select id, name from src order by id
                  key: .id
                stages:
                  - name: load
                    sql: insert into src_out (id) select :id::int from pg_sleep(0.0002)
                """)
            let first = try BatonProcess.start(["run", file, "--run", "q", "--progress", "none"], database: db)
            let sent = await Ops.signal(first, SIGINT, database: db, when: "SELECT coalesce(max(seeded), 0)::int FROM baton.runs", reaches: 5_000)
            let stopped = try await first.wait(timeout: .seconds(120))
            #expect(sent && stopped.status == 130, "\(stopped)")
            let seeded = try Ops.count(conn, "SELECT seeded FROM baton.runs")
            try #require(seeded >= 5_000 && seeded < 40_000, "stopped while seeding: \(seeded)")
            // Rows before the position go, and rows that sort first arrive.
            try conn.execute("DELETE FROM src WHERE id IN (10, 11)")
            try conn.execute("INSERT INTO src VALUES (-1, 'early'), (0, 'earlier')")
            let resumed = try await BatonProcess.run(["resume", "q", "--progress", "none"], database: db)
            #expect(resumed.status == 0, "\(resumed)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM src s WHERE NOT EXISTS (SELECT 1 FROM src_out o WHERE o.id = s.id)") == 0,
                    "every row of the table was loaded")
            #expect(try Ops.count(conn, "SELECT count(*) - count(DISTINCT id) FROM src_out") == 0, "none twice")
        }
    }

    static func pipeline(_ ws: Workspace) throws -> String {
        try ws.write("inc.yaml", """
            pipeline: inc
            setup: CREATE TABLE IF NOT EXISTS dst (id int, v text, run text)
            source:
              sql: SELECT id, v, updated_at FROM src WHERE updated_at >= :_cursor ORDER BY updated_at, id
              key: .id
              incremental: { cursor: .updated_at, initial: "2026-01-01T00:00:00Z", lookback: 30m }
            stages:
              - name: load
                sql: insert into dst (id, v, run) values (:id, :v, :_run)
            """)
    }

    @Test func laterRunsReadOnlyNewerRowsAndTheLookbackNeverDuplicates() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws)
        try await TestDatabase.with { db in
            let conn = try db.connect()
            // Rows 1…30, ten minutes apart: row 30 at 05:00.
            try conn.execute("""
                CREATE TABLE src (id int PRIMARY KEY, v text, updated_at timestamptz);
                INSERT INTO src SELECT i, 'v1', '2026-01-01T00:00:00Z'::timestamptz + i * interval '10 minutes' FROM generate_series(1, 30) AS i;
                """)
            let first = try await SourceRun.run(file, db, run: "r1")
            #expect(first.status == 0, "\(first)")
            #expect(try SourceRun.done(first) == 30)
            let show = try await BatonProcess.run(["cursor", "show", "inc"], database: db)
            #expect(show.stdout.contains("cursor     2026-01-01T05:00:00Z (timestamp)"), "\(show)")
            #expect(show.stdout.contains("seen keys  30"), "\(show)")

            // Five new rows (05:10…05:50) and row 29 changed (moved to 06:00).
            try conn.execute("""
                INSERT INTO src SELECT i, 'v1', '2026-01-01T00:00:00Z'::timestamptz + i * interval '10 minutes' FROM generate_series(31, 35) AS i;
                UPDATE src SET v = 'v2', updated_at = '2026-01-01T06:00:00Z' WHERE id = 29;
                """)
            // Reads from 04:30: rows 27, 28 and 30 again (unchanged: skipped), 29's new version, 31…35.
            let second = try await SourceRun.run(file, db, run: "r2")
            #expect(second.status == 0, "\(second)")
            #expect(try SourceRun.done(second) == 6)
            #expect(try SourceRun.deduplicated(second) == 3)
            #expect(try Ops.rows(conn, "SELECT id || ':' || v FROM dst WHERE run = 'r2' ORDER BY id")
                    == ["29:v2", "31:v1", "32:v1", "33:v1", "34:v1", "35:v1"])

            // Nothing new: the window (05:30…06:00) is read again and recognised.
            let third = try await SourceRun.run(file, db, run: "r3")
            #expect(try SourceRun.done(third) == 0)
            #expect(try SourceRun.deduplicated(third) == 4)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM dst") == 36)
            #expect(try EngineFixture.count(conn, "SELECT count(*) - count(DISTINCT (id, v)) FROM dst") == 0)

            // Reset: the next run starts from `initial` and loads everything again (a backfill).
            let reset = try await BatonProcess.run(["cursor", "reset", "inc"], database: db)
            #expect(reset.status == 0, "\(reset)")
            #expect(reset.stdout.contains("forgot the cursor (2026-01-01T06:00:00Z), 35 seen keys"), "\(reset)")
            let backfill = try await SourceRun.run(file, db, run: "r4")
            #expect(try SourceRun.done(backfill) == 35)

            // Set: from 05:00 on (minus the 30 minutes of lookback), with the seen keys forgotten.
            let set = try await BatonProcess.run(["cursor", "set", file, "2026-01-01T05:00:00+00:00"], database: db)
            #expect(set.stdout.contains("set to 2026-01-01T05:00:00Z (timestamp)"), "\(set)")
            let partial = try await SourceRun.run(file, db, run: "r5")
            #expect(try SourceRun.done(partial) == 9)  // 27, 28, 30…35 and 29 (06:00)
        }
    }

    @Test func theCursorIsCommittedWithTheChunkThatAdvancedItAndAResumedRunKeepsItsStart() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws)
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("""
                CREATE TABLE src (id int PRIMARY KEY, v text, updated_at timestamptz);
                INSERT INTO src SELECT i, 'v1', '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 second' FROM generate_series(1, 20000) AS i;
                """)
            // Killed once the first chunks are in: the cursor is where the committed rows end.
            let process = try BatonProcess.start(["run", file, "--run", "r1", "--progress", "none"], database: db)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let seeded = (try? conn.query("SELECT seeded FROM baton.runs").rows.first?.decode(Int.self, 0)) ?? 0
                if seeded >= 5000 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.signal(SIGKILL)
            _ = try await process.wait()
            let seeded = try EngineFixture.count(conn, "SELECT seeded::int FROM baton.runs")
            let cursor = try conn.query("SELECT value FROM baton.cursors").rows[0].decode(String.self, 0)
            let latest = try conn.query("""
                SELECT to_char(max(s.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM baton.items i JOIN src s ON s.id = (i.payload->>'id')::int
                """).rows[0].decode(String.self, 0)
            #expect(cursor == latest)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items") == seeded)

            // Newer rows arrive; the resumed run still reads from where it started.
            try conn.execute("INSERT INTO src VALUES (20001, 'v1', '2026-01-02T00:00:00Z')")
            let rerun = try await BatonProcess.run(["run", file, "--run", "r1", "--progress", "none"], database: db)
            #expect(rerun.status == 0, "\(rerun)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM dst") == 20001)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM dst") == 20001)
        }
    }
}
