import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Gaps found by the acceptance audit of issues 10 and 13, end to end through the binary.
@Suite("Acceptance audit (end to end)", .serialized)
struct AuditOperationsTests {
    /// Bad records of a glob are left out of a replay, and `failures` and `replay` say why in
    /// terms of files, not of a query's rows (issue 10 point 2 with issue 13's file sets).
    @Test func badRecordsOfAFileSetAreLeftOutAndTheMessagesSayWhatToDoWithTheFile() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("drops/a.jsonl", "{\"id\": 1}\n{\"id\": 2\n{\"id\": 3}\n")
            try ws.write("drops/b.jsonl", "{\"id\": 4}\n")
            let file = try ws.write("g.yaml", """
                pipeline: g
                source:
                  jsonl: drops/*.jsonl
                  key: .id
                  on_error: skip
                stages:
                  - name: pick
                    jq: .
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "g", "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 1, "\(run)")
            let failures = try await BatonProcess.run(["failures", "g"], database: db, directory: ws.url)
            #expect(failures.stdout.contains("1 × stage pick · bad record"), "\(failures)")
            #expect(failures.stdout.contains("replay leaves these out: the records of a glob or folder are not read again one by one (fix the file: the next run of the pipeline reads a changed file again, in full)"), "\(failures)")
            #expect(!failures.stdout.contains("query"), "\(failures)")
            let json = try Ops.json(try await BatonProcess.run(["failures", "g", "--json"], database: db, directory: ws.url).stdout)
            #expect((json["groups"] as? [[String: Any]])?.first?["replay"] as? String == "left out", "\(json)")
            let dry = try await BatonProcess.run(["replay", "g", "--dry-run"], database: db, directory: ws.url)
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("leaving out 1 bad record of \(ws.url.path)/drops/*.jsonl: the records of a glob or folder are not read again one by one"), "\(dry)")
            #expect(!dry.stdout.contains("query"), "\(dry)")
        }
    }

    /// A `.gz` file cut short (still being written, or truncated) is an error naming the
    /// file, not a file read to its end: zlib hands back the whole lines it has and then
    /// reports the end of the data like a complete file's (issue 13, many files).
    @Test func aGzipFileCutShortIsAnErrorNotAFileReadToItsEnd() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let cut = ws.url.appendingPathComponent("in/cut.jsonl.gz").path
            try FileManager.default.createDirectory(at: ws.url.appendingPathComponent("in"), withIntermediateDirectories: true)
            // Three lines, each flushed, and no end of stream: `zcat` prints them and says
            // "unexpected end of file".
            let python = try await WorkingFolderOperationsTests.run("/usr/bin/python3", ["-c", """
                import zlib, sys
                c = zlib.compressobj(6, zlib.DEFLATED, 31)
                data = b"".join(c.compress(b'{"n": %d}\\n' % i) + c.flush(zlib.Z_SYNC_FLUSH) for i in range(1, 4))
                open(sys.argv[1], "wb").write(data)
                """, cut])
            #expect(python.status == 0, "\(python)")
            let file = try ws.write("t.yaml", """
                pipeline: t
                source:
                  jsonl: in/*.jsonl.gz
                stages:
                  - name: pass
                    jq: .
                """)
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 65, "\(run)")
            #expect(run.stderr.contains("\(cut): read error: the compressed data ends early (a truncated file, or one still being written)"), "\(run)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items") == 0)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.source_files") == 0, "not remembered as read")
        }
    }

    /// `results` of a run ending in a sql stage names the table, and points at `baton
    /// postgres status` only when the local cluster is the database (issue 10, point 12).
    @Test func resultsOfASQLRunOnAConfiguredDatabaseDoNotPointAtTheLocalCluster() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("s.yaml", """
                pipeline: s
                setup: create table if not exists kept (id int)
                source: { items: [{id: 1}, {id: 2}], key: .id }
                stages:
                  - name: keep
                    sql: insert into kept (id) values (:id)
                """)
            #expect(try await BatonProcess.run(["run", file, "--run", "s", "--progress", "none"], database: db, directory: ws.url).status == 0)
            let results = try await BatonProcess.run(["results", "s"], database: db, directory: ws.url)
            #expect(results.status == 0 && results.stdout.isEmpty, "\(results)")
            #expect(results.stderr.contains("is a sql stage, so its statement wrote the rows to your own tables (table kept)"), "\(results)")
            #expect(!results.stderr.contains("baton postgres status"), "the database is not the local cluster: \(results)")
        }
    }

    /// From a folder outside any project, with no database configured, commands that only
    /// look at runs say where the runs are not, instead of creating an empty local cluster
    /// there (issue 10, point 5: `cd /tmp && baton resume chk1`).
    @Test func lookingAtRunsFromOutsideAnyProjectCreatesNoCluster() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let status = try await BatonProcess.run(["status"], database: nil, directory: ws.url)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("no runs yet: no database is configured and there is no local Postgres in \(ws.url.path) or a folder above it"), "\(status)")
        for command in [["resume", "chk1"], ["failures", "chk1"], ["replay", "chk1", "--dry-run"], ["status", "chk1"]] {
            let output = try await BatonProcess.run(command, database: nil, directory: ws.url)
            #expect(output.status == 64, "\(command): \(output)")
            #expect(output.stderr.contains("no run named chk1: no database is configured"), "\(command): \(output)")
            #expect(!output.stderr.contains("created and started"), "\(command): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: ws.url.appendingPathComponent(".baton").path), "no cluster was created")
    }

    /// `baton test` never reads the source, so it works from any folder even when the
    /// pipeline's relative source files are not found from there (issue 12 with issue 10,
    /// point 5); `validate` still requires them.
    @Test func batonTestWorksFromAnotherFolderWithoutTheSourceFiles() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        for (name, source) in [("j", "jsonl: fixtures/j.jsonl"), ("c", "csv: fixtures/c.csv")] {
            try ws.write("pipelines/\(name).yaml", """
                pipeline: \(name)
                source:
                  \(source)
                stages:
                  - name: shape
                    jq: '{id: (.id | tonumber)}'
                """)
            try ws.write("pipelines/\(name).test.yaml", """
                cases:
                  - name: ids become numbers
                    stage: shape
                    input: {id: "7"}
                    expect: {outputs: [{id: 7}]}
                """)
        }
        let elsewhere = try Workspace()
        defer { elsewhere.remove() }
        let test = try await BatonProcess.run(["test", ws.url.appendingPathComponent("pipelines").path], database: nil, directory: elsewhere.url)
        #expect(test.status == 0, "\(test)")
        #expect(test.stdout.contains("2 test files, 2 cases: 2 passed, 0 failed"), "\(test)")
        let validate = try await BatonProcess.run(["validate", "--no-db", ws.url.appendingPathComponent("pipelines/j.yaml").path],
                                                  database: nil, directory: elsewhere.url)
        #expect(validate.status == 78 && validate.stdout.contains("the JSONL file `fixtures/j.jsonl` does not exist"), "\(validate)")
    }

    /// `baton cursor reset` of a mistyped pipeline name is a usage error with a suggestion,
    /// not "forgot no cursor … the next run starts from `initial`" (issue 10 point 11, for
    /// issue 13's cursor command); `show` keeps its report and says so on stderr.
    @Test func aMistypedPipelineNameForTheCursorCommandIsCaught() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("readings.yaml", """
                pipeline: readings
                source: { items: [{id: 1}], key: .id }
                stages: [{name: pass, jq: .}]
                """)
            #expect(try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url).status == 0)
            let reset = try await BatonProcess.run(["cursor", "reset", "readngs"], database: db)
            #expect(reset.status == 64, "\(reset)")
            #expect(reset.stderr.contains("no pipeline named readngs has run or stored a cursor in this database (did you mean `readings`?)"), "\(reset)")
            let show = try await BatonProcess.run(["cursor", "show", "readngs"], database: db)
            #expect(show.status == 0 && show.stdout.contains("pipeline   readngs"), "\(show)")
            #expect(show.stderr.contains("did you mean `readings`?"), "\(show)")
            let known = try await BatonProcess.run(["cursor", "reset", "readings"], database: db)
            #expect(known.status == 0 && known.stderr.isEmpty, "\(known)")
        }
    }

    /// A replay reads bad records again only from the file the run read: with `jsonl: ${IN}`
    /// and IN now naming another file, it refuses instead of loading that file's line into
    /// the run (issue 10, points 1 and 2).
    @Test func badRecordsAreNotReadAgainFromAnotherFile() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("a.jsonl", "{\"id\": 1}\n{\"id\": 2\n{\"id\": 3}\n")
            try ws.write("b.jsonl", "{\"id\": 100}\n{\"id\": 200}\n{\"id\": 300}\n")
            let file = try ws.write("e.yaml", """
                pipeline: e
                source:
                  jsonl: ${IN}
                  key: .id
                  on_error: skip
                stages:
                  - name: pick
                    jq: .
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "e", "--progress", "none"], database: db, directory: ws.url,
                                                 environment: ["IN": "a.jsonl"])
            #expect(run.status == 1, "\(run)")
            for extra in [["--dry-run"], ["--progress", "none"]] {
                let other = try await BatonProcess.run(["replay", "e"] + extra, database: db, directory: ws.url, environment: ["IN": "b.jsonl"])
                #expect(other.status == 78, "\(extra): \(other)")
                #expect(other.stderr.contains("run e read the jsonl file \(ws.url.path)/a.jsonl"), "\(other)")
                #expect(other.stderr.contains("so they are read again only from that file"), "\(other)")
            }
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT key, state FROM baton.items WHERE key LIKE 'line:%'") == ["line:2|failed"])
            // Fixed in place, from the same file: read again and loaded.
            try ws.write("a.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n")
            let same = try await BatonProcess.run(["replay", "e", "--progress", "none"], database: db, directory: ws.url,
                                                  environment: ["IN": "a.jsonl"])
            #expect(same.status == 0, "\(same)")
            #expect(try Ops.rows(conn, "SELECT payload->>'id' FROM baton.results ORDER BY 1") == ["1", "2", "3"])
        }
    }

    /// `baton postgres status` says so when a configured database, not the local cluster, is
    /// what the other commands use (issue 10, point 6).
    @Test func postgresStatusSaysWhenAnotherDatabaseIsConfigured() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let status = try await BatonProcess.run(["postgres", "status"], database: nil, directory: ws.url,
                                                environment: ["BATON_DATABASE_URL": "postgresql:///elsewhere?host=/nonexistent"])
        #expect(status.status == 3, "\(status)")
        #expect(status.stdout.contains("note: BATON_DATABASE_URL is set, so the other baton commands use that database, not this local one"), "\(status)")
        let plain = try await BatonProcess.run(["postgres", "status"], database: nil, directory: ws.url)
        #expect(plain.status == 3 && !plain.stdout.contains("note:"), "\(plain)")
    }

    /// `status RUN` of an interrupted run fits 80 columns, and both views give it the time it
    /// was worked, not the time since it started (issue 10, point 9).
    @Test func anInterruptedRunsStatusFits80ColumnsAndItsDurationLeavesTheInterruptionOut() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 3_000)
            let name = "nightly-sensor-readings"
            let interrupted = try await Ops.interruptedRun(file, run: name, database: db, conn: conn)
            #expect(interrupted.status == 130, "\(interrupted)")
            try await Task.sleep(for: .seconds(12))

            let one = try await BatonProcess.run(["status", name], database: db)
            #expect(one.stdout.contains("interrupted"), "\(one)")
            for line in one.stdout.split(separator: "\n") {
                #expect(line.count <= 80, "\(line.count) columns: \(line)")
            }
            let list = try Ops.json(try await BatonProcess.run(["status", "--json"], database: db).stdout)
            let run = try #require((list["runs"] as? [[String: Any]])?.first)
            #expect(run["display_state"] as? String == "interrupted", "\(run)")
            let duration = try #require((run["duration_seconds"] as? NSNumber)?.doubleValue, "\(run)")
            let detail = try Ops.json(try await BatonProcess.run(["status", name, "--json"], database: db).stdout)
            let active = try #require(((detail["run"] as? [String: Any])?["active_seconds"] as? NSNumber)?.doubleValue, "\(detail)")
            #expect(abs(duration - active) < 0.01, "the list and the run's own view agree: \(duration) vs \(active)")
            let created = try #require(ISO8601DateFormatter().date(from: run["created_at"] as? String ?? ""), "\(run)")
            #expect(duration < Date().timeIntervalSince(created) - 10, "the 12 s since the interruption are not in it: \(run)")
        }
    }
}
