import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// SQL mistakes are one error before anything runs, at the statement's line and column in
/// the file, not one failed item at a time (issue 10, point 3).
@Suite("SQL checked before the run (end to end)", .serialized)
struct StatementCheckOperationsTests {
    static func pipeline(_ ws: Workspace, statement: String) throws -> String {
        try ws.write("fixtures/people.jsonl", try Ops.jsonl((1...463).map { ["id": $0, "name": "P\($0)"] }))
        return try ws.write("people.yaml", """
            pipeline: people
            setup: create table if not exists people (id int primary key, name text)
            source:
              jsonl: fixtures/people.jsonl
              key: .id
            stages:
              - name: shape
                jq: '{id, name}'
              - name: load
            \(statement)
            """)
    }

    @Test func aTypoInAFoldedStatementFailsTheRunWith78AtItsLineAndColumnBeforeAnythingIsSeeded() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws, statement: """
                    sql: >
                      insert into people (id, name)
                      values (:id, :name)
                      on conflict (id) do update set name = excluded.nmae
                """)
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 78, "\(run)")
            // Line 13, column 45: `excluded.nmae`, the column Postgres does not know.
            #expect(run.stderr.contains("\(file):13:45: stages[1].sql: the statement does not prepare: column excluded.nmae does not exist (sqlstate 42703)"), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0, "no run is created")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items") == 0)
            // setup: ran in the rolled-back check only: the table is not there either.
            #expect(try Ops.count(conn, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'people'") == 0)

            // `validate` says the same when it has a database …
            let validate = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(validate.status == 78, "\(validate)")
            #expect(validate.stdout.contains("\(file):13:45: stages[1].sql: the statement does not prepare: column excluded.nmae does not exist"), "\(validate)")
            // … and with --no-db it says the SQL was not checked.
            let noDB = try await BatonProcess.run(["validate", file, "--no-db"], database: db, directory: ws.url)
            #expect(noDB.status == 0, "\(noDB)")
            #expect(noDB.stdout.contains("\(file): ok (pipeline people, 2 stages; SQL not checked against a database (--no-db))"), "\(noDB)")
            let json = try Ops.json(try await BatonProcess.run(["validate", file, "--json"], database: db, directory: ws.url).stdout)
            let entry = try #require((json["files"] as? [[String: Any]])?.first)
            let error = try #require((entry["errors"] as? [[String: Any]])?.first)
            #expect(json["valid"] as? Bool == false && Ops.int(error["line"]) == 13 && Ops.int(error["column"]) == 45, "\(json)")

            // Fixed: the check passes (setup creates the table first) and all 463 are loaded.
            _ = try Self.pipeline(ws, statement: """
                    sql: >
                      insert into people (id, name)
                      values (:id, :name)
                      on conflict (id) do update set name = excluded.name
                """)
            let ok = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(ok.status == 0 && ok.stdout.contains("1 SQL statement prepared against the database"), "\(ok)")
            let fixed = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(fixed.status == 0, "\(fixed)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM people") == 463)
        }
    }

    @Test(arguments: [
        // (YAML of the statement, line and column of `insrt`)
        ("    sql: insrt into people (id) values (:id)", 10, 10),
        ("    sql: \"insert into people (id) values (:id);\\n  insrt\"", 10, 52),
        ("    sql: 'insert into people (id) values (''1''); insrt'", 10, 51),
        ("    sql: |\n      insert into people (id)\n      values (:id);\n      insrt", 13, 7),
        ("    sql: >-\n      insert into people (id) values (:id);\n\n      insrt", 13, 7),
        ("    sql: insert into people (id)\n      values (:id); insrt", 11, 21),
    ])
    func everyCommonScalarStyleMapsTheServerPositionToTheFile(yaml: String, line: Int, column: Int) async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws, statement: yaml)
            let run = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(run.status == 78, "\(run)")
            #expect(run.stdout.contains("\(file):\(line):\(column): stages[1].sql: the statement does not prepare: syntax error at or near \"insrt\" (sqlstate 42601)"), "\(yaml)\n\(run)")
        }
    }

    /// A `sql` source's query is prepared too: a typo in it is a configuration error at its
    /// line and column, before any run exists (not exit 65 and a run left `interrupted`).
    @Test func aMistakeInTheSourceQueryIsFoundBeforeTheRunIsCreated() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try conn.execute("CREATE TABLE src (id int, updated_at timestamptz); INSERT INTO src VALUES (1, now())")
            let file = try ws.write("q.yaml", """
                pipeline: q
                source:
                  sql: |
                    select id, updated_at
                      from src
                     where updated_at >= :_cursor
                     order by idd
                  incremental: { cursor: .updated_at, initial: "2026-01-01T00:00:00Z" }
                stages:
                  - name: pass
                    jq: .
                """)
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 78, "\(run)")
            // Line 7, column 15: `idd`, the column Postgres does not know.
            #expect(run.stderr.contains("\(file):7:15: source.sql: the source query does not prepare: column \"idd\" does not exist (sqlstate 42703)"), "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0, "no run is created")
            let validate = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(validate.status == 78 && validate.stdout.contains("\(file):7:15: source.sql: the source query does not prepare"), "\(validate)")

            try ws.write("q.yaml", try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "order by idd", with: "order by id"))
            let ok = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(ok.status == 0 && ok.stdout.contains("1 SQL statement prepared against the database"), "\(ok)")
            let fixed = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(fixed.status == 0 && Ops.stageTable(fixed.stdout)["pass"]?["done"] == "1", "\(fixed)")
        }
    }

    /// A mistake in `setup:` is shown at its line and column too, also in a pipeline without
    /// sql stages, and `validate` finds it.
    @Test func aMistakeInSetupIsShownAtItsLineAndColumn() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("s.yaml", """
                pipeline: s
                setup:
                  - create table if not exists s (id int)
                  - creat index if not exists s_id on s (id)
                source: { items: [{id: 1}], key: .id }
                stages: [{name: pass, jq: .}]
                """)
            let validate = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(validate.status == 78, "\(validate)")
            #expect(validate.stdout.contains("\(file):4:5: setup[1]: setup SQL failed: syntax error at or near \"creat\" (sqlstate 42601)"), "\(validate)")
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 78 && run.stderr.contains("\(file):4:5: setup[1]: setup SQL failed"), "\(run)")
            #expect(try Ops.count(try db.connect(), "SELECT count(*) FROM baton.runs") == 0, "no run is created")

            try ws.write("s.yaml", try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "creat index", with: "create index"))
            let ok = try await BatonProcess.run(["validate", file], database: db, directory: ws.url)
            #expect(ok.status == 0 && ok.stdout.contains("setup SQL run against the database, rolled back"), "\(ok)")
        }
    }

    @Test func withoutAnyDatabaseValidateSaysTheSQLWasNotChecked() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, statement: "    sql: insrt into people (id) values (:id)")
        let run = try await BatonProcess.run(["validate", file], database: nil, directory: ws.url)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("SQL not checked against a database (no database configured and no local one in \(ws.url.path)/.baton/postgres"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: ws.url.appendingPathComponent(".baton").path), "validate creates no cluster")
    }

    @Test func parametersWhoseTypeCannotBeInferredAreNamedAsWritten() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws, statement: "    sql: select :id, :name is null")
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 78, "\(run)")
            #expect(run.stderr.contains("could not determine data type of parameter :name (sqlstate 42P18)"), "\(run)")
        }
    }
}
