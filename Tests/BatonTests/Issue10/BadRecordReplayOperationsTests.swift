import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Bad records (`on_error: skip`) are read again from the source on replay: a fixed line
/// enters the first stage with its real key and is loaded; a line still bad stays failed
/// with the new error (issue 10, point 2).
@Suite("Replaying bad records (end to end)", .serialized)
struct BadRecordReplayOperationsTests {
    /// 800 people; the rows of people 500 and 700 (file lines 501 and 701) have an extra field.
    static func people(_ ws: Workspace) throws -> String {
        try writePeople(ws, line501: "500,Person 500,50,extra", line701: "700,Person 700,70,extra")
        return try ws.write("pipelines/people.yaml", """
            pipeline: people
            setup: create table if not exists people (id int primary key, name text not null, age int)
            source:
              csv: fixtures/people.csv
              types: { id: integer, age: integer }
              key: .id
              on_error: skip
            stages:
              - name: shape
                jq: '{id, name, age}'
              - name: load
                sql: insert into people (id, name, age) values (:id, :name, :age)
                fuse: false
            """)
    }

    static func writePeople(_ ws: Workspace, line501: String, line701: String) throws {
        var lines = ["id,name,age"]
        for id in 1...800 {
            switch id {
            case 500: lines.append(line501)
            case 700: lines.append(line701)
            default: lines.append("\(id),Person \(id),\(id % 90)")
            }
        }
        try ws.write("fixtures/people.csv", lines.joined(separator: "\n") + "\n")
    }

    @Test func fixedLinesAreReadAgainAndLoadedStillBadOnesStayFailedWithTheNewError() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.people(ws)
            let conn = try db.connect()
            // Started from the workspace with relative paths; everything after from another folder.
            let run = try await BatonProcess.run(["run", "pipelines/people.yaml", "--run", "chk1", "--progress", "none"],
                                                 database: db, directory: ws.url)
            #expect(run.status == 1, "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM people") == 798)
            let elsewhere = try Workspace()
            defer { elsewhere.remove() }

            let failures = try await BatonProcess.run(["failures", "chk1"], database: db, directory: elsewhere.url)
            #expect(failures.status == 0, "\(failures)")
            #expect(failures.stdout.contains("2 × stage shape · bad record"), "\(failures)")
            #expect(failures.stdout.contains("keys: line:501, line:701"), "\(failures)")
            #expect(failures.stdout.contains("replay reads these lines again from \(ws.url.path)/fixtures/people.csv as it is now"), "\(failures)")

            // The dry run (from elsewhere) says what happens to them and changes nothing.
            let before = try Ops.rows(conn, "SELECT stage, key, state, payload::text FROM baton.items ORDER BY id")
            let dry = try await BatonProcess.run(["replay", "chk1", "--dry-run"], database: db, directory: elsewhere.url)
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("would re-read 2 bad records of stage shape from \(ws.url.path)/fixtures/people.csv (lines 501, 701)"), "\(dry)")
            #expect(try Ops.rows(conn, "SELECT stage, key, state, payload::text FROM baton.items ORDER BY id") == before)

            // Line 501 fixed; line 701 now bad in another way.
            try Self.writePeople(ws, line501: "500,Person 500,50", line701: "700,Person 700,seventy")
            let first = try await BatonProcess.run(["replay", "chk1", "--progress", "none"], database: db, directory: elsewhere.url)
            #expect(first.status == 1, "\(first)")
            #expect(first.stderr.contains("re-read 2 bad records from \(ws.url.path)/fixtures/people.csv: 1 now valid, entering stage shape (line 501 → key 500); 1 still bad (line 701: column age: \"seventy\" is not a valid integer)"), "\(first)")
            #expect(try Ops.rows(conn, "SELECT id, name, age FROM people WHERE id IN (500, 700)") == ["500|Person 500|50"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM people") == 799)
            #expect(try Ops.rows(conn, "SELECT key, state, error_class, last_error FROM baton.items WHERE key LIKE 'line:%'")
                == ["line:701|failed|bad record|column age: \"seventy\" is not a valid integer"])
            // The record entered as a real item, its history kept.
            #expect(try Ops.rows(conn, "SELECT stage, state, payload->>'name' FROM baton.items WHERE key = '500'") == ["shape|done|Person 500"])
            let explain = try await BatonProcess.run(["explain", "chk1", "500"], database: db, directory: elsewhere.url)
            #expect(explain.stdout.contains("line 501: expected 3 fields (as in the header), found 4"), "\(explain)")
            #expect(explain.stdout.contains("[load] 500/0: done"), "\(explain)")
            let old = try await BatonProcess.run(["explain", "chk1", "line:501"], database: db, directory: elsewhere.url)
            #expect(old.status == 64 && old.stderr.contains("is now item 500 (baton explain chk1 500)"), "\(old)")

            let after = try await BatonProcess.run(["failures", "chk1", "--json"], database: db, directory: elsewhere.url)
            let groups = try #require(try Ops.json(after.stdout)["groups"] as? [[String: Any]])
            #expect(groups.count == 1 && groups.first?["example_message"] as? String == "column age: \"seventy\" is not a valid integer", "\(after)")
            #expect(groups.first?["replay"] as? String == "re-read", "\(after)")

            // Line 701 fixed: the run succeeds, every person loaded exactly once, no wrapper ever loaded.
            try Self.writePeople(ws, line501: "500,Person 500,50", line701: "700,Person 700,70")
            let second = try await BatonProcess.run(["replay", "chk1", "--progress", "none"], database: db, directory: elsewhere.url)
            #expect(second.status == 0, "\(second)")
            #expect(second.stdout.contains("run chk1 (id 1) of pipeline people: succeeded"), "\(second)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM people") == 800)
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM people WHERE id BETWEEN 1 AND 800") == 800)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items WHERE payload ? 'raw'") == 0)
            #expect(try Ops.itemStates(conn, run: "chk1") == ["shape": ["done": 800], "load": ["done": 800]])
            #expect(try Ops.rows(conn, "SELECT seeded FROM baton.runs") == ["800"])
            _ = file
        }
    }

    @Test func aFixedLineWhoseKeyIsAlreadyThereIsADuplicateNotASecondItem() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("fixtures/e.jsonl", """
                {"id": 1}
                {"id": 2
                {"id": 3}
                """ + "\n")
            let file = try ws.write("e.yaml", """
                pipeline: e
                source:
                  jsonl: fixtures/e.jsonl
                  key: .id
                  on_error: skip
                stages:
                  - name: pick
                    jq: .
                """)
            let conn = try db.connect()
            #expect(try await BatonProcess.run(["run", file, "--run", "e", "--progress", "none"], database: db, directory: ws.url).status == 1)
            // Line 2 "fixed" into a copy of line 1.
            try ws.write("fixtures/e.jsonl", "{\"id\": 1}\n{\"id\": 1}\n{\"id\": 3}\n")
            let replay = try await BatonProcess.run(["replay", "e", "--progress", "none"], database: db, directory: ws.url)
            #expect(replay.status == 0, "\(replay)")
            #expect(replay.stderr.contains("1 now valid but a duplicate of an item already in the stage"), "\(replay)")
            #expect(try Ops.rows(conn, "SELECT key FROM baton.results ORDER BY key") == ["1/0", "3/0"])
            #expect(Ops.stageTable(replay.stdout)["pick"]?["failed"] == "0", "\(replay)")
        }
    }

    @Test func badRecordsOfAQueryAreLeftOutAndReplaySaysSo() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try conn.execute("CREATE TABLE src (id int); INSERT INTO src SELECT generate_series(1, 5)")
            let file = try ws.write("q.yaml", """
                pipeline: q
                source:
                  sql: select id from src order by id
                  key: 'if .id == 3 then error("no key for three") else .id end'
                  on_error: skip
                stages:
                  - name: pick
                    jq: .
                """)
            #expect(try await BatonProcess.run(["run", file, "--run", "q", "--progress", "none"], database: db).status == 1)
            let failures = try await BatonProcess.run(["failures", "q"], database: db)
            #expect(failures.stdout.contains("1 × stage pick · bad record"), "\(failures)")
            #expect(failures.stdout.contains("replay leaves these out: the rows of a query cannot be read again one by one"), "\(failures)")
            let before = try Ops.rows(conn, "SELECT stage, key, state, payload::text FROM baton.items ORDER BY id")
            let replay = try await BatonProcess.run(["replay", "q", "--progress", "none"], database: db)
            #expect(replay.status == 0, "\(replay)")
            #expect(replay.stdout.contains("leaving out 1 bad record of source query"), "\(replay)")
            #expect(try Ops.rows(conn, "SELECT stage, key, state, payload::text FROM baton.items ORDER BY id") == before)
            #expect(try Ops.runState(conn, "q") == "failed")
        }
    }
}
