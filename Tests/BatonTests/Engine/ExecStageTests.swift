import Baton
import BatonPostgres
import BatonTestSupport
import Testing

/// The `exec` stage: a real subprocess per item.
@Suite("Exec stage")
struct ExecStageTests {
    private func run(_ db: TestDatabase, _ command: [String], items: Int = 2, timeout: Duration = .seconds(10)) async throws -> RunReport {
        var config = ExecStageConfig(command: command)
        config.timeout = timeout
        config.environment = ["GREETING": "hi"]
        let pipeline = Pipeline(name: "exec", source: EngineFixture.items(items), stages: [
            Stage(name: "ext", transform: try ExecTransform(config: config), retry: EngineFixture.fastRetry(2)),
        ])
        return try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
    }

    @Test func everyStdoutLineBecomesAnOutputItem() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let script = #"read item; echo "{\"from\": $item, \"n\": 1, \"greeting\": \"$GREETING\", \"key\": \"$BATON_ITEM_KEY\"}"; echo '{"n": 2}'"#
            let report = try await run(db, ["/bin/sh", "-c", script])
            #expect(report.run.state == .succeeded)
            let payloads = try conn.query("SELECT payload::text FROM baton.results ORDER BY key").rows.map { try $0.decode(String.self, 0) }
            #expect(payloads == [
                #"{"n": 1, "key": "1", "from": {"id": 1}, "greeting": "hi"}"#, #"{"n": 2}"#,
                #"{"n": 1, "key": "2", "from": {"id": 2}, "greeting": "hi"}"#, #"{"n": 2}"#,
            ])
        }
    }

    /// Output bytes that are not UTF-8 became U+FFFD (the data changed, the run succeeded);
    /// now the item fails for good with `exec output`, naming the byte.
    @Test func outputThatIsNotUTF8FailsTheItem() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, ["/bin/sh", "-c", #"read item; printf '{"name": "caf\351"}\n'"#], items: 1)
            #expect(report.stage("ext")?.failed == 1)
            let row = try conn.query("SELECT attempt, error_class, last_error FROM baton.items").rows[0]
            #expect(try row.decode(Int.self, 0) == 1)
            #expect(try row.decode(String.self, 1) == "exec output")
            #expect(try row.decode(String.self, 2).contains("printed bytes that are not valid UTF-8 (byte 14 of its output)"))
        }
    }

    /// A command that leaves a background job holding its stdout (`… &`) was held until its
    /// timeout, and its success retried as `exec timeout` (its side effects repeated). The
    /// program's exit ends the item; the job is killed with the process group.
    @Test func aBackgroundJobHoldingStdoutDoesNotHoldTheItem() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let started = ContinuousClock.now
            let report = try await run(db, ["/bin/sh", "-c", #"read item; echo '{"ok": 1}'; sleep 30 &"#], items: 2, timeout: .seconds(8))
            #expect(report.run.state == .succeeded)
            #expect(ContinuousClock.now - started < .seconds(8), "not held until the timeout")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE attempt = 1 AND state = 'done'") == 2)
        }
    }

    @Test func exit65IsPermanentAndOtherExitsAreRetried() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let script = #"read item; echo "boom on $BATON_ITEM_KEY" >&2; if [ "$BATON_ITEM_KEY" = 1 ]; then exit 65; else exit 3; fi"#
            let report = try await run(db, ["/bin/sh", "-c", script])
            #expect(report.stage("ext")?.failed == 2)
            let rows = try conn.query("SELECT key, attempt, error_class, last_error FROM baton.items ORDER BY key").rows
            #expect(try rows[0].decode(Int.self, 1) == 1)
            #expect(try rows[0].decode(String.self, 2) == "exec 65")
            #expect(try rows[0].decode(String.self, 3).contains("boom on 1"))
            #expect(try rows[1].decode(Int.self, 1) == 2)
            #expect(try rows[1].decode(String.self, 2) == "exec 3")
        }
    }

    @Test func aProgramRunningPastItsTimeoutIsStopped() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let start = ContinuousClock.now
            let report = try await run(db, ["/bin/sh", "-c", "sleep 30"], items: 1, timeout: .milliseconds(300))
            #expect(ContinuousClock.now - start < .seconds(40))  // far below two 30 s sleeps
            #expect(report.stage("ext")?.failed == 1)
            #expect(try conn.query("SELECT error_class FROM baton.items").rows[0].decode(String.self, 0) == "exec timeout")
        }
    }

    @Test func aLineThatIsNotJSONFailsTheItem() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, ["/bin/sh", "-c", "cat >/dev/null; echo not-json"], items: 1)
            #expect(report.stage("ext")?.failed == 1)
            #expect(try conn.query("SELECT last_error FROM baton.items").rows[0].decode(String.self, 0).contains("not JSON (stdout line 1)"))
        }
    }
}
