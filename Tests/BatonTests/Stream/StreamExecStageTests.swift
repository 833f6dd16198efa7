import Baton
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The `exec` stage in `mode: stream`: long-lived Python children answering one JSON line
/// per item.
@Suite("Stream exec stage")
struct StreamExecStageTests {
    @Test func eachAnswerGivesZeroOneOrManyOutputsAndNoChildOutlivesTheRun() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            let script = StreamExec.prologue + #"""
                for line in sys.stdin:
                    item = json.loads(line)
                    answer({"items": [{"id": item["id"], "copy": n} for n in range(item["id"] % 3)]})
                """#
            let report = try await StreamExec.run(db, workspace, script: script, items: 12, processes: 2)
            #expect(report.run.state == .succeeded)
            #expect(report.stage("child")?.done == 8)
            #expect(report.stage("child")?.skipped == 4)
            let conn = try db.connect()
            let keys = try conn.query("SELECT key FROM baton.results ORDER BY key").rows.map { try $0.decode(String.self, 0) }
            #expect(keys == ["1/0", "10/0", "11/0", "11/1", "2/0", "2/1", "4/0", "5/0", "5/1", "7/0", "8/0", "8/1"])
            #expect(try conn.query("SELECT payload::text FROM baton.results WHERE key = '11/1'").rows[0].decode(String.self, 0)
                == #"{"id": 11, "copy": 1}"#)
            // At most one child per slot, started once, and every one gone when the run returns.
            let starts = StreamExec.pids(workspace, "starts")
            #expect((1...2).contains(starts.count))
            #expect(try await StreamExec.survivors(starts, within: .zero).isEmpty)
        }
    }

    @Test func errorAnswersFailTheItemForGoodOrForAnotherAttempt() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            let script = StreamExec.prologue + #"""
                for line in sys.stdin:
                    item = json.loads(line)
                    if item["id"] == 1:
                        answer({"error": "no email for customer 1", "permanent": True, "class": "validation"})
                    elif item["id"] == 2:
                        answer({"error": "upstream busy", "permanent": False})
                    else:
                        answer({"items": [item]})
                """#
            let report = try await StreamExec.run(db, workspace, script: script, items: 5, attempts: 3)
            #expect(report.stage("child")?.failed == 2)
            #expect(report.stage("child")?.done == 3)
            let conn = try db.connect()
            let rows = try conn.query("SELECT key, attempt, error_class, last_error FROM baton.items WHERE state = 'failed' ORDER BY key").rows
            #expect(try rows[0].decode(String.self, 0) == "1")
            #expect(try rows[0].decode(Int.self, 1) == 1)  // permanent: no second attempt
            #expect(try rows[0].decode(String.self, 2) == "validation")
            #expect(try rows[0].decode(String.self, 3) == "child 1: no email for customer 1")
            #expect(try rows[1].decode(Int.self, 1) == 3)  // transient: every attempt used
            #expect(try rows[1].decode(String.self, 2) == "exec error")
            // Error answers are answers: the child was never restarted.
            #expect(StreamExec.pids(workspace, "starts").count == 1)
        }
    }

    @Test func aCrashingChildIsRestartedAndNoItemIsLostOrDoubled() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            // The first child dies on item 7, with 23 more items already written to it.
            let script = StreamExec.prologue + #"""
                for line in sys.stdin:
                    item = json.loads(line)
                    if item["id"] == 7 and once("crashed"):
                        print("segfault-ish: giving up on item 7", file=sys.stderr, flush=True)
                        os._exit(3)
                    answer({"items": [item]})
                """#
            let report = try await StreamExec.run(db, workspace, script: script, items: 30, attempts: 3)
            #expect(report.run.state == .succeeded)
            #expect(report.stage("child")?.done == 30)
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 30)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT payload->>'id') FROM baton.results") == 30)
            // Only the item the child was working on used an attempt; the ones written after it
            // were sent again to the new child.
            let attempts = try conn.query("SELECT i.key, a.error_class, a.error FROM baton.attempts a JOIN baton.items i ON i.id = a.item_id").rows
            #expect(attempts.count == 1)
            #expect(try attempts[0].decode(String.self, 0) == "7")
            #expect(try attempts[0].decode(String.self, 1) == "exec exit")
            let message = try attempts[0].decode(String.self, 2)
            #expect(message.contains("exited with status 3 before answering"), "\(message)")
            #expect(message.contains("segfault-ish: giving up on item 7"), "\(message)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE attempt > 1") == 1)
            #expect(StreamExec.pids(workspace, "starts").count == 2)
        }
    }

    /// A program that is not there, or not executable, was retried as a transient `exec exit`
    /// (status 127 or 126 from the guardian), attempts and restarts used up. It fails the
    /// waiting items at once, for good, as `exec start`.
    @Test(arguments: [false, true])
    func aProgramThatCannotStartFailsItsItemsAtOnce(exists: Bool) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            // A file without the executable bit, or no file at all.
            let path = exists ? try workspace.write("plain.txt", "not a program\n") : workspace.url.appendingPathComponent("missing").path
            var config = ExecStageConfig(command: [path])
            config.mode = .stream
            let pipeline = Pipeline(name: "stream", source: EngineFixture.items(3), stages: [
                Stage(name: "child", transform: try StreamExecTransform(config: config), retry: EngineFixture.fastRetry(3)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.stage("child")?.failed == 3)
            let conn = try db.connect()
            let rows = try conn.query("SELECT DISTINCT attempt, error_class FROM baton.items").rows
            #expect(rows.count == 1)
            let (attempt, errorClass) = (try rows[0].decode(Int.self, 0), try rows[0].decode(String.self, 1))
            #expect(attempt == 1 && errorClass == "exec start", "\(attempt) \(errorClass)")
            let message = try conn.query("SELECT last_error FROM baton.items LIMIT 1").rows[0].decode(String.self, 0)
            #expect(message.contains("cannot be started: \(exists ? "not executable (status 126)" : "not found (status 127)")"), "\(message)")
        }
    }

    @Test func aChildThatDiesBeforeAnsweringFailsEveryItemItWasSent() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            let script = StreamExec.prologue + #"""
                print("ModuleNotFoundError: No module named 'model'", file=sys.stderr, flush=True)
                sys.exit(1)
                """#
            let started = ContinuousClock.now
            let report = try await StreamExec.run(db, workspace, script: script, items: 4, attempts: 2)
            // Bounded (the machine is shared: generous), not one restart per item.
            #expect(ContinuousClock.now - started < .seconds(300))
            #expect(report.stage("child")?.failed == 4)
            let conn = try db.connect()
            let errors = try conn.query("SELECT DISTINCT error_class FROM baton.items").rows.map { try $0.decode(String.self, 0) }
            #expect(errors == ["exec exit"])
            let message = try conn.query("SELECT last_error FROM baton.items LIMIT 1").rows[0].decode(String.self, 0)
            #expect(message.contains("exited with status 1 before answering (stderr: ModuleNotFoundError: No module named 'model')"), "\(message)")
        }
    }

    @Test func aHangingChildIsKilledWithItsProcessGroupAtTheTimeout() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            // Item 3 hangs every time, with a grandchild the group kill must reach too.
            let script = StreamExec.prologue + #"""
                import subprocess
                for line in sys.stdin:
                    item = json.loads(line)
                    if item["id"] == 3:
                        sleeper = subprocess.Popen(["sleep", "1000"])
                        with open(os.path.join(SCRATCH, "hung"), "a") as f:
                            f.write(f"{os.getpid()}\n{sleeper.pid}\n")
                        time.sleep(1000)
                    answer({"items": [item]})
                """#
            let started = ContinuousClock.now
            let report = try await StreamExec.run(db, workspace, script: script, items: 6, attempts: 2, timeout: .milliseconds(700),
                                                  startTimeout: .seconds(20))
            #expect(ContinuousClock.now - started < .seconds(300))  // far below the 1000 s hang
            #expect(report.stage("child")?.done == 5)
            #expect(report.stage("child")?.failed == 1)
            let conn = try db.connect()
            let row = try conn.query("SELECT key, attempt, error_class, last_error FROM baton.items WHERE state = 'failed'").rows[0]
            #expect(try row.decode(String.self, 0) == "3")
            #expect(try row.decode(Int.self, 1) == 2)
            #expect(try row.decode(String.self, 2) == "exec timeout")
            let message = try row.decode(String.self, 3)
            #expect(message.contains("did not answer within") && message.contains("; its process group was killed"), "\(message)")
            let hung = StreamExec.pids(workspace, "hung")
            #expect(hung.count == 4)  // two attempts, each a child and its sleeper
            #expect(try await StreamExec.survivors(hung).isEmpty)
        }
    }

    @Test func anAnswerThatIsNotJSONRestartsTheChildAndTheItemIsRetried() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            // The first child prints a stray line for item 4; the second answers item 6 with the
            // wrong shape (the first child's answers after its stray line are discarded).
            let script = StreamExec.prologue + #"""
                second = os.path.exists(os.path.join(SCRATCH, "garbage"))
                for line in sys.stdin:
                    item = json.loads(line)
                    if item["id"] == 4 and once("garbage"):
                        print("Loading weights... done", flush=True)
                        continue
                    if item["id"] == 6 and second and once("shape"):
                        answer({"result": item})
                        continue
                    answer({"items": [item]})
                """#
            let report = try await StreamExec.run(db, workspace, script: script, items: 8, attempts: 2)
            #expect(report.run.state == .succeeded)
            #expect(report.stage("child")?.done == 8)
            let conn = try db.connect()
            let attempts = try conn.query("""
                SELECT i.key, a.error_class, a.error FROM baton.attempts a JOIN baton.items i ON i.id = a.item_id ORDER BY i.key
                """).rows
            #expect(attempts.count == 2)
            #expect(try attempts[0].decode(String.self, 0) == "4")
            #expect(try attempts[0].decode(String.self, 1) == "exec output")
            #expect(try attempts[0].decode(String.self, 2).contains("answered with a line that is not JSON: Loading weights... done"))
            #expect(try attempts[1].decode(String.self, 0) == "6")
            #expect(try attempts[1].decode(String.self, 2).contains("answered with an object with the keys [result]"))
            #expect(StreamExec.pids(workspace, "starts").count == 3)
        }
    }

    @Test func theChildsStderrGoesToTheLogWithTheStageName() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            let script = StreamExec.prologue + #"""
                print("model loaded in 0.1s", file=sys.stderr, flush=True)
                print("x" * 100000, file=sys.stderr, flush=True)
                for line in sys.stdin:
                    answer({"items": []})
                """#
            let (logger, store) = CapturingLogHandler.logger()
            let report = try await StreamExec.run(db, workspace, script: script, items: 2, logger: logger)
            #expect(report.run.state == .succeeded)
            let lines = store.all.filter { $0.metadata["exec.pid"] != nil && $0.level == .notice }
            #expect(lines.map(\.message).first == "child: model loaded in 0.1s")
            #expect(lines.allSatisfy { $0.metadata["stage.name"] == "child" })
            // A long line is cut, not kept whole.
            let long = try #require(lines.dropFirst().first)
            #expect(long.message.count < 2_100)
            #expect(long.message.hasSuffix("x…"))
        }
    }
}
