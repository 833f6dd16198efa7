import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The exit codes scripts rely on (sysexits family) and the message that goes with each.
@Suite("Exit codes (end to end)")
struct ExitCodeOperationsTests {
    @Test func statusOfAnUnknownRunIsAUsageErrorNamingTheRun() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            // With a schema and one real run, so the lookup itself is what fails.
            let file = try Self.onePipeline(ws)
            #expect(try await BatonProcess.run(["run", file, "--run", "real", "--progress", "none"], database: db).status == 0)
            let status = try await BatonProcess.run(["status", "no-such-run"], database: db)
            #expect(status.status == 64, "\(status)")
            #expect(status.stderr.contains("no run named no-such-run"), "\(status)")
            #expect(status.stdout.isEmpty, "\(status)")
        }
    }

    @Test func aPipelineConfigurationErrorExits78WithFileAndLine() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("typo.yaml", """
                pipeline: typo
                source:
                  items: [{id: 1}]
                  key: .id
                stages:
                  - name: pass
                    jq: .
                    concurency: 4
                """)
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(run.status == 78, "\(run)")
            #expect(run.stderr.contains("\(file):8:5"), "\(run)")
            #expect(run.stderr.contains("concurency"), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            // Nothing was created: not even the schema.
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'baton'") == 0)
        }
    }

    @Test func aMalformedSourceLineExits65NamingFileAndLineAndEnqueuesNothing() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let data = try ws.write("fixtures/people.jsonl", """
                {"id": 1, "name": "Ada"}
                {"id": 2, "name": "Grace"}
                {"id": 3, "name": "Edsger"
                {"id": 4, "name": "Barbara"}

                """)
            let file = try ws.write("people.yaml", """
                pipeline: people
                source:
                  jsonl: \(data)
                  key: .id
                stages:
                  - name: pass
                    jq: .
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "p", "--progress", "none"], database: db)
            #expect(run.status == 65, "\(run)")
            #expect(run.stderr.contains("\(data):3"), "\(run)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.items") == 0)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 0)
        }
    }

    @Test(arguments: [["status"], ["status", "nightly"], ["failures", "nightly"], ["prune", "--older-than", "1d"], ["migrate"]])
    func anUnreachableDatabaseExits69(_ command: [String]) async throws {
        let output = try await BatonProcess.run(command + ["--database-url", "postgresql:///x?host=/nonexistent"], database: nil)
        #expect(output.status == 69, "\(output)")
        #expect(output.stderr.contains("database unavailable"), "\(output)")
        #expect(output.stdout.isEmpty, "\(output)")
    }

    @Test func runWithAnUnreachableDatabaseExits69() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.onePipeline(ws)
        let output = try await BatonProcess.run(
            ["run", file, "--progress", "none", "--database-url", "postgresql:///x?host=/nonexistent"], database: nil)
        #expect(output.status == 69, "\(output)")
        #expect(output.stderr.contains("database unavailable"), "\(output)")
    }

    /// A standby, or a database set read-only: exit 69 saying so (it was 70, "internal
    /// error", with Postgres's bare message), before the schema exists and after.
    @Test func aReadOnlyDatabaseExits69SayingSo() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.onePipeline(ws)
            let conn = try db.connect()
            try conn.execute("ALTER DATABASE \(db.name) SET default_transaction_read_only = on")
            let fresh = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(fresh.status == 69, "\(fresh)")
            #expect(fresh.stderr.contains("the database is read-only"), "\(fresh)")
            try conn.execute("ALTER DATABASE \(db.name) RESET default_transaction_read_only")
            #expect(try await BatonProcess.run(["migrate"], database: db).status == 0)
            try conn.execute("ALTER DATABASE \(db.name) SET default_transaction_read_only = on")
            let migrated = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(migrated.status == 69, "\(migrated)")
            #expect(migrated.stderr.contains("target_session_attrs=read-write"), "\(migrated)")
            try conn.execute("ALTER DATABASE \(db.name) RESET default_transaction_read_only")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0)
        }
    }

    /// A database URL libpq refuses (an unknown option, a port that is no number) is a
    /// configuration error, said at once: it was "database unavailable" (69), after 5 s of retries.
    @Test(arguments: [["status"], ["run", "FILE", "--progress", "none"]])
    func anInvalidDatabaseURLExits78(_ command: [String]) async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.onePipeline(ws)
        let base = try TestDatabase.clusterURL()
        for url in [base + (base.contains("?") ? "&" : "?") + "bogus=1"] {
            let started = ContinuousClock.now
            let output = try await BatonProcess.run(command.map { $0 == "FILE" ? file : $0 } + ["--database-url", url], database: nil)
            #expect(output.status == 78, "\(output)")
            #expect(output.stderr.contains("the database URL is not valid") && output.stderr.contains("bogus"), "\(output)")
            #expect(ContinuousClock.now - started < .seconds(4), "no retries")
        }
    }

    /// `baton migrate` on a schema already up to date writes nothing: a role without CREATE
    /// (a reader) is told it is up to date, not refused.
    @Test func migrateOfAnUpToDateSchemaNeedsNoWriteAccess() async throws {
        let role = "baton_reader_\(UInt32.random(in: 0...UInt32.max))"
        try await TestDatabase.with { db in
            #expect(try await BatonProcess.run(["migrate"], database: db).status == 0)
            let conn = try db.connect()
            try conn.execute("CREATE ROLE \(role) LOGIN; GRANT USAGE ON SCHEMA baton TO \(role); GRANT SELECT ON ALL TABLES IN SCHEMA baton TO \(role)")
            let url = db.url.replacingOccurrences(of: "user=postgres", with: "user=\(role)")
            let output = try await BatonProcess.run(["migrate", "--database-url", url], database: nil)
            #expect(output.status == 0 && output.stdout.contains("is up to date"), "\(output)")
            try conn.execute("DROP OWNED BY \(role)")
        }
        let admin = try Connection(ConnectionConfig(url: try TestDatabase.clusterURL()))
        try admin.execute("DROP ROLE IF EXISTS \(role)")
    }

    /// One item through one jq stage.
    private static func onePipeline(_ ws: Workspace) throws -> String {
        try ws.write("one.yaml", """
            pipeline: one
            source: { items: [{id: 1}], key: .id }
            stages: [{name: pass, jq: .}]
            """)
    }
}
