import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// `--json` documents say what the tables say; `--log-format json` keeps stderr machine
/// readable and stdout for the report only.
@Suite("Output formats (end to end)")
struct OutputFormatOperationsTests {
    /// 30 items: multiples of 10 fail in `check`, odd ones are filtered out (skipped) by `even`.
    static func mixedPipeline(_ ws: Workspace) throws -> String {
        try ws.write("fixtures/n.jsonl", try Ops.jsonl((1...30).map { ["id": $0] }))
        return try ws.write("mixed.yaml", """
            pipeline: mixed
            source:
              jsonl: \(ws.url.path)/fixtures/n.jsonl
              key: .id
            stages:
              - name: check
                jq: 'if .id % 10 == 0 then error("round number \\(.id)") else . end'
              - name: even
                jq: 'select(.id % 2 == 0)'
              - name: twice
                jq: '., {id: (.id + 1000)}'
            """)
    }

    static let countColumns = ["done", "skipped", "failed", "retried", "pending"]

    @Test func runJSONSummaryHasTheSameNumbersAsTheTextSummary() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.mixedPipeline(ws)
            let text = try await BatonProcess.run(["run", file, "--run", "as-text", "--progress", "none"], database: db)
            let json = try await BatonProcess.run(["run", file, "--run", "as-json", "--json", "--progress", "none"], database: db)
            #expect(text.status == 1 && json.status == 1, "\(text)\n\(json)")

            let table = Ops.stageTable(text.stdout)
            #expect(table["check"]?["done"] == "27" && table["check"]?["failed"] == "3", "\(text)")
            #expect(table["even"]?["done"] == "12" && table["even"]?["skipped"] == "15", "\(text)")
            #expect(table["twice"]?["done"] == "12", "\(text)")

            let document = try Ops.json(json.stdout)
            #expect((document["run"] as? [String: Any])?["name"] as? String == "as-json")
            #expect((document["run"] as? [String: Any])?["state"] as? String == "failed")
            #expect(Ops.int(document["exit_code"]) == 1)
            let stages = try #require(document["stages"] as? [[String: Any]])
            #expect(stages.map { $0["name"] as? String ?? "" } == ["check", "even", "twice"])
            for stage in stages {
                let name = stage["name"] as? String ?? ""
                for column in Self.countColumns {
                    #expect(Ops.int(stage[column]).map(String.init) == table[name]?[column], "\(name).\(column)\n\(json)\n\(text)")
                }
            }
            #expect(text.stdout.contains("exit 1: the run finished with failed items"))
            #expect(!json.stdout.contains("exit 1:"), "the JSON document is the only thing on stdout")
        }
    }

    @Test func statusJSONHasTheSameNumbersAsStatusText() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.mixedPipeline(ws)
            #expect(try await BatonProcess.run(["run", file, "--run", "m", "--progress", "none"], database: db).status == 1)
            let text = try await BatonProcess.run(["status", "m"], database: db)
            let json = try await BatonProcess.run(["status", "m", "--json"], database: db)
            #expect(text.status == 0 && json.status == 0, "\(text)\n\(json)")
            #expect(text.stdout.contains("run m (id 1) of pipeline mixed: failed"), "\(text)")
            #expect(text.stdout.contains("seeded 30 item(s)"), "\(text)")
            let table = Ops.stageTable(text.stdout)
            let document = try Ops.json(json.stdout)
            let run = try #require(document["run"] as? [String: Any])
            #expect(run["state"] as? String == "failed" && Ops.int(run["seeded"]) == 30)
            let stages = try #require(document["stages"] as? [[String: Any]])
            #expect(stages.count == 3 && table.count == 3)
            for stage in stages {
                let name = stage["name"] as? String ?? ""
                for column in ["pending", "running", "done", "skipped", "failed", "cancelled", "retried"] {
                    #expect(Ops.int(stage[column]).map(String.init) == table[name]?[column], "\(name).\(column)")
                }
            }
            #expect(table["twice"]?["done"] == "12")

            // The list of runs agrees too.
            let list = try await BatonProcess.run(["status", "--json"], database: db)
            let runs = try #require(try Ops.json(list.stdout)["runs"] as? [[String: Any]])
            let counts = try #require(runs.first?["counts"] as? [String: Any])
            #expect(Ops.int(counts["done"]) == 27 + 12 + 12 && Ops.int(counts["failed"]) == 3 && Ops.int(counts["skipped"]) == 15)
        }
    }

    @Test func jsonLogsAreOneObjectPerLineOnStderrAndStdoutIsOnlyTheSummary() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            // About 6 s, so that the default progress (plain, stderr is not a terminal) reports too.
            let file = try Ops.slowPipeline(ws, items: 2_400)
            let run = try await BatonProcess.run(
                ["run", file, "--run", "logged", "--workers", "2", "--log-format", "json", "--log-level", "info"], database: db)
            #expect(run.status == 0, "\(run)")

            let lines = run.stderr.split(separator: "\n").map(String.init)
            #expect(!lines.isEmpty)
            var objects: [[String: Any]] = []
            for line in lines {
                guard let object = try? Ops.json(line) else {
                    Issue.record("stderr line is not a JSON object: \(line)")
                    continue
                }
                #expect(object["level"] is String && object["message"] is String, "\(line)")
                objects.append(object)
            }
            let runID = try Ops.rows(conn, "SELECT id FROM baton.runs WHERE name = 'logged'").first
            let aboutTheRun = objects.filter { $0["run.id"] != nil }
            #expect(!aboutTheRun.isEmpty, "\(run.stderr)")
            #expect(aboutTheRun.allSatisfy { $0["run.id"] as? String == runID }, "\(run.stderr)")
            #expect(objects.contains { ($0["message"] as? String)?.hasPrefix("progress logged") == true }, "\(run.stderr)")

            #expect(run.stdout.hasPrefix("run logged (id \(runID ?? "?")) of pipeline slow: succeeded"), "\(run)")
            #expect(run.stdout.hasSuffix("exit 0: all items done or skipped\n"), "\(run)")
            #expect(!run.stdout.contains("{") && !run.stdout.contains("progress"), "\(run)")
        }
    }

    @Test func jsonLogsCarryTheFinalErrorAsAnObjectToo() async throws {
        try await TestDatabase.with { db in
            #expect(try await BatonProcess.run(["migrate"], database: db).status == 0)
            let output = try await BatonProcess.run(["status", "ghost", "--log-format", "json"], database: db)
            #expect(output.status == 64, "\(output)")
            let lines = output.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == 1, "\(output)")
            let object = try Ops.json(lines.first ?? "")
            #expect(object["level"] as? String == "error")
            #expect((object["message"] as? String)?.contains("no run named ghost") == true, "\(output)")
        }
    }
}
