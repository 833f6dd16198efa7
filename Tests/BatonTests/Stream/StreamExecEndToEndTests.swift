import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Stream exec stages run by the built `baton` binary: the README's example, and no child
/// outliving Baton however it ends.
@Suite("Stream exec stage (end to end)")
struct StreamExecEndToEndTests {
    /// The Python block after the `stream-exec-example` marker in README.md.
    static func readmeExample() throws -> String {
        let readme = try String(contentsOf: ExamplePipelineTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- stream-exec-example"))
        let rest = readme[marker.upperBound...]
        let open = try #require(rest.range(of: "```python\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test func theReadmeExampleScoresOrdersAndRefusesOneWithoutEmail() async throws {
        let script = try Self.readmeExample()
        #expect(script.split(separator: "\n").count <= 12)
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.write("scripts/score.py", script)
        try workspace.write("orders.yaml", """
            pipeline: scored
            setup: CREATE TABLE IF NOT EXISTS order_totals (id int PRIMARY KEY, email text, total numeric)
            source:
              items:
                - {id: 1, email: Ada@Example.com, lines: [{qty: 2, price: 1.25}, {qty: 1, price: 10}]}
                - {id: 2, email: "", lines: []}
                - {id: 3, email: GRACE@example.com, lines: [{qty: 3, price: 0.1}]}
              key: .id
            stages:
              - name: score
                exec: { command: [python3, scripts/score.py], mode: stream }
              - name: save
                sql: insert into order_totals (id, email, total) values (:id, :email, :total)
            """)
        try await TestDatabase.with { db in
            let output = try await BatonProcess.run(["run", "orders.yaml", "--run", "n1", "--progress", "none"],
                                                    database: db, directory: workspace.url)
            #expect(output.status == 1, "\(output)")
            let conn = try db.connect()
            let rows = try conn.query("SELECT id, email, total::text FROM order_totals ORDER BY id").rows
            #expect(rows.count == 2)
            #expect(try rows[0].decode(String.self, 1) == "ada@example.com")
            #expect(try rows[0].decode(String.self, 2) == "12.5")
            #expect(try rows[1].decode(String.self, 2) == "0.3")
            let failures = try await BatonProcess.run(["failures", "n1"], database: db, directory: workspace.url)
            #expect(failures.stdout.contains("order 2 has no email"), "\(failures)")
            #expect(try EngineFixture.count(conn, "SELECT attempt FROM baton.items WHERE key = '2'") == 1)
        }
    }

    /// A child that hangs on its first item after starting a grandchild; both pids recorded.
    private func hangingPipeline(_ workspace: Workspace) throws {
        try workspace.write("hang.py", """
            import os, subprocess, sys, time
            sleeper = subprocess.Popen(["sleep", "1000"])
            with open(os.path.join(os.environ["SCRATCH"], "pids"), "a") as f:
                f.write(f"{os.getpid()}\\n{sleeper.pid}\\n")
            for line in sys.stdin:
                time.sleep(1000)
            """)
        try workspace.write("hang.yaml", """
            pipeline: hang
            source: { items: [{id: 1}, {id: 2}], key: .id }
            stages:
              - name: stuck
                exec:
                  command: [python3, hang.py]
                  mode: stream
                  timeout: 10m
                  env: { SCRATCH: "\(workspace.url.path)" }
            """)
    }

    private func waitForPids(_ workspace: Workspace, count: Int) async throws -> [Int32] {
        let deadline = ContinuousClock.now + .seconds(60)
        while StreamExec.pids(workspace, "pids").count < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        return StreamExec.pids(workspace, "pids")
    }

    @Test func aChildAndItsChildrenDieWhenBatonIsKilledWithSIGKILL() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try hangingPipeline(workspace)
        try await TestDatabase.with { db in
            let baton = try BatonProcess.start(["run", "hang.yaml", "--run", "k", "--progress", "none"], database: db, directory: workspace.url)
            let pids = try await waitForPids(workspace, count: 2)
            #expect(pids.count == 2)
            #expect(pids.allSatisfy(StreamExec.isAlive))
            baton.signal(SIGKILL)
            let output = try await baton.wait()
            #expect(output.status == -SIGKILL)
            let survivors = try await StreamExec.survivors(pids)
            #expect(survivors.isEmpty, "still running after baton was killed: \(survivors)")
        }
    }

    @Test func aStoppedBatonStopsItsChildrenAndTheirChildren() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        // A child that answers slowly, with a grandchild that never ends by itself.
        try workspace.write("slow.py", """
            import json, os, subprocess, sys, time
            sleeper = subprocess.Popen(["sleep", "1000"])
            with open(os.path.join(os.environ["SCRATCH"], "pids"), "a") as f:
                f.write(f"{os.getpid()}\\n{sleeper.pid}\\n")
            for line in sys.stdin:
                time.sleep(0.2)
                print(json.dumps({"items": [json.loads(line)]}), flush=True)
            """)
        try workspace.write("slow.yaml", """
            pipeline: slow
            source: { items: [\((1...300).map { "{id: \($0)}" }.joined(separator: ", "))], key: .id }
            stages:
              - name: nap
                exec: { command: [python3, slow.py], mode: stream, window: 2, env: { SCRATCH: "\(workspace.url.path)" } }
                batch_size: 2
            """)
        try await TestDatabase.with { db in
            let baton = try BatonProcess.start(["run", "slow.yaml", "--run", "t", "--progress", "none"], database: db, directory: workspace.url)
            let pids = try await waitForPids(workspace, count: 2)
            #expect(pids.count == 2)
            baton.signal(SIGTERM)
            let output = try await baton.wait()
            #expect(output.status == 75, "\(output)")
            // In-flight items were answered and committed; the rest waits for a resume.
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending'") > 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'running'") == 0)
            let survivors = try await StreamExec.survivors(pids, within: .seconds(10))
            #expect(survivors.isEmpty, "still running after baton exited: \(survivors)")
        }
    }
}
