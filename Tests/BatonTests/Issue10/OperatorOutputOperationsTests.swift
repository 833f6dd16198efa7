import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Output a person can trust: tables that fit 80 columns, counts that mean what they say,
/// JSON everywhere, typos as usage errors, failures grouped by a real pattern, exit
/// messages naming the run (issue 10, points 9 to 12).
@Suite("Operator output (end to end)", .serialized)
struct OperatorOutputOperationsTests {
    /// 40 readings: every 10th fails in `check` with a number in the message, written as 98.7
    /// or 99 (one pattern); odd ones are filtered out by `even`.
    static func readings(_ ws: Workspace, name: String = "readings") throws -> String {
        try ws.write("fixtures/r.jsonl", try Ops.jsonl((1...40).map { ["id": $0, "temp": $0 % 20 == 0 ? 99 : 98.7] }))
        return try ws.write("\(name).yaml", """
            pipeline: \(name)
            source:
              jsonl: fixtures/r.jsonl
              key: .id
            stages:
              - name: check
                jq: 'if .id % 10 == 0 then error("temperature \\(.temp) too high for sensor \\(.id)") else . end'
              - name: even
                jq: 'select(.id % 2 == 0)'
              - name: results-with-a-long-name
                jq: '{id, temp}'
            """)
    }

    @Test func tablesFit80ColumnsAndWideShowsTheRest() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.readings(ws, name: "sensor-readings-pipeline")
            let run = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 1, "\(run)")
            let runName = try #require(try Ops.rows(try db.connect(), "SELECT name FROM baton.runs").first)
            let status = try await BatonProcess.run(["status"], database: db)
            let one = try await BatonProcess.run(["status", runName], database: db)
            for output in [run, status, one] {
                let lines = Self.tableLines(output.stdout)
                #expect(lines.count >= 2, "\(output.stdout)")
                let widest = lines.map(\.count).max() ?? 0
                #expect(widest <= 80, "\(widest) columns:\n\(output.stdout)")
            }
            #expect(Ops.stageTable(run.stdout)["results-with-a-long-name"]?["done"] == "16", "\(run)")
            #expect(run.stdout.contains("(more columns: --wide)"), "\(run)")
            let wide = try await BatonProcess.run(["status", runName, "--wide"], database: db)
            let header = try #require(wide.stdout.split(separator: "\n").first { $0.hasPrefix("stage ") })
            for column in ["dedup", "lease_lost", "items/s", "p50 ms", "p95 ms"] {
                #expect(header.contains(column), "\(column) in --wide: \(header)")
            }
            // At 60 columns each stage becomes a block of lines instead of a garbled table.
            let narrow = try await BatonProcess.run(["status", runName], database: db, environment: ["COLUMNS": "60"])
            let blocks = narrow.stdout.split(separator: "\n").drop { !$0.hasPrefix("check") }
            #expect(!blocks.isEmpty && blocks.allSatisfy { $0.count <= 60 }, "\(narrow.stdout)")
            #expect(narrow.stdout.contains("results-with-a-long-name\n  pending: 0\n"), "\(narrow.stdout)")
        }
    }

    @Test func statusCountsItemsNotStageRowsAndReplayPausesAreNotCountedInRates() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.readings(ws)
            #expect(try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none"], database: db).status == 1)
            let list = try await BatonProcess.run(["status", "--wide"], database: db)
            let table = Self.table(list.stdout)
            // 40 seeded; 16 through the last stage; 4 failed; not 36 + 16 + 16 "done".
            #expect(table["r"]?["seeded"] == "40" && table["r"]?["done"] == "16" && table["r"]?["failed"] == "4", "\(list)")
            let json = try Ops.json(try await BatonProcess.run(["status", "--json"], database: db).stdout)
            let run = try #require((json["runs"] as? [[String: Any]])?.first)
            #expect(Ops.int(run["last_stage_done"]) == 16 && Ops.int(run["seeded"]) == 40, "\(json)")
            let counts = try #require(run["counts"] as? [String: Any])
            #expect(Set(counts.keys) == ["pending", "running", "done", "skipped", "failed", "cancelled"], "zero counts present: \(counts)")
            #expect((run["created_at"] as? String)?.wholeMatch(of: try Regex(#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#)) != nil, "\(run)")
            #expect(run["duration_seconds"] is NSNumber, "\(run)")

            // A replay 11 s later: the stage's rate and the run's duration leave the pause out.
            try await Task.sleep(for: .seconds(11))
            try ws.write("readings.yaml", try String(contentsOfFile: file, encoding: .utf8)
                .replacingOccurrences(of: "if .id % 10 == 0 then error(\"temperature \\(.temp) too high for sensor \\(.id)\") else . end", with: "."))
            let replay = try await BatonProcess.run(["replay", "r", "--json", "--progress", "none"], database: db)
            #expect(replay.status == 0, "\(replay)")
            let stages = try #require(try Ops.json(replay.stdout)["stages"] as? [[String: Any]])
            let check = try #require(stages.first { $0["name"] as? String == "check" })
            #expect(((check["items_per_second"] as? NSNumber)?.doubleValue ?? 0) > 10, "40 items over 11 s would be under 4/s: \(check)")
            let after = try Ops.json(try await BatonProcess.run(["status", "--json"], database: db).stdout)
            let duration = ((after["runs"] as? [[String: Any]])?.first?["duration_seconds"] as? NSNumber)?.doubleValue ?? 99
            #expect(duration < 8, "the 11 s pause is not in the duration: \(after)")
        }
    }

    @Test func typosAreUsageErrorsWithSuggestions() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.readings(ws)
            #expect(try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none"], database: db).status == 1)
            for command in [["failures", "r", "--stage", "chek"], ["replay", "r", "--stage", "chek", "--dry-run"], ["replay", "r", "--stage", "chek"]] {
                let output = try await BatonProcess.run(command, database: db)
                #expect(output.status == 64, "\(command): \(output)")
                #expect(output.stderr.contains("run r has no stage chek (did you mean `check`?"), "\(command): \(output)")
            }
            let key = try await BatonProcess.run(["replay", "r", "--key", "100", "--dry-run"], database: db)
            #expect(key.status == 64 && key.stderr.contains("run r has no item with key 100"), "\(key)")
            let command = try await BatonProcess.run(["runn", file], database: db)
            #expect(command.status == 64 && command.stderr.contains("unknown command `runn` (did you mean `run`?)"), "\(command)")
            let jsonUsage = try await BatonProcess.run(["status", "--limt", "3", "--log-format", "json"], database: db)
            #expect(jsonUsage.status == 64, "\(jsonUsage)")
            let usage = try Ops.json(jsonUsage.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect((usage["message"] as? String)?.contains("Did you mean '--limit'") == true, "\(jsonUsage)")
        }
    }

    @Test func failuresFoldNumbersWhateverTheirFormatAndShowThePatternThenAnExample() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.readings(ws)
            let run = try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none"], database: db)
            #expect(run.stdout.contains("exit 1: the run finished with failed items (4; see `baton failures r`)"), "\(run)")
            let failures = try await BatonProcess.run(["failures", "r"], database: db)
            #expect(failures.stdout.contains("run r: 4 failed items in 1 group"), "98.7 and 99 fold alike: \(failures)")
            let lines = failures.stdout.split(separator: "\n").map(String.init)
            let title = try #require(lines.firstIndex(of: "4 × stage check · jq"), "\(failures)")
            #expect(lines[title + 1] == "  pattern: jq error: temperature N too high for sensor N", "\(failures)")
            #expect(lines[title + 2] == "  e.g. 10: jq error: temperature 98.7 too high for sensor 10", "\(failures)")
            #expect(lines[title + 3] == "  keys: 10, 20, 30, …", "\(failures)")
        }
    }

    /// 26 causes printed 26 groups: thousands of causes buried the summary. The largest 20
    /// are shown, then how many more groups and items there are; `--limit 0` and `--json` show all.
    @Test func failuresShowTheLargestGroupsThenCountTheRest() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            // Item n fails with the n-th letter: one group per item, and two more items for `a`.
            let ids = (1...26).map { #"{"id": \#($0), "c": \#($0)}"# } + [#"{"id": 27, "c": 1}"#, #"{"id": 28, "c": 1}"#]
            try ws.write("many.jsonl", ids.joined(separator: "\n") + "\n")
            let file = try ws.write("many.yaml", """
                pipeline: many
                source: { jsonl: many.jsonl, key: .id }
                stages:
                  - name: check
                    jq: 'error("cause " + ([.c + 96] | implode))'
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "m", "--progress", "none"], database: db, directory: ws.url)
            #expect(run.status == 1, "\(run)")
            let failures = try await BatonProcess.run(["failures", "m"], database: db)
            #expect(failures.stdout.contains("run m: 28 failed items in 26 groups"), "\(failures)")
            #expect(failures.stdout.components(separatedBy: " × stage check").count - 1 == 20, "\(failures)")
            #expect(failures.stdout.contains("3 × stage check · jq"), "the largest group first: \(failures)")
            #expect(failures.stdout.contains("… and 6 more groups holding 6 failed items (--limit 0 shows them all)"), "\(failures)")
            let all = try await BatonProcess.run(["failures", "m", "--limit", "0"], database: db)
            #expect(all.stdout.components(separatedBy: " × stage check").count - 1 == 26 && !all.stdout.contains("more groups"), "\(all)")
            let json = try await BatonProcess.run(["failures", "m", "--json"], database: db)
            #expect((try Ops.json(json.stdout)["groups"] as? [Any])?.count == 26, "\(json)")
            let negative = try await BatonProcess.run(["failures", "m", "--limit=-5"], database: db)
            #expect(negative.status == 64 && negative.stderr.contains("--limit must be 0 (every group) or more"), "\(negative)")
        }
    }

    @Test func exitMessagesNameTheRunAndSayWhyAndResultsSaysWhereSQLRowsWent() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 4_000)
            let process = try BatonProcess.start(["run", file, "--run", "doomed", "--workers", "1", "--progress", "none"], database: db)
            #expect(await Ops.wait(for: process, database: db, until: "SELECT count(*) FROM slow_out", reaches: 20))
            #expect(try await BatonProcess.run(["cancel", "doomed"], database: db).status == 0)
            let cancelled = try await process.wait()
            #expect(cancelled.status == 1, "\(cancelled)")
            #expect(cancelled.stdout.firstMatch(of: try Regex(#"exit 1: the run was cancelled \(\d+ items not run\)"#)) != nil, "\(cancelled)")

            let results = try await BatonProcess.run(["results", "doomed"], database: db)
            #expect(results.status == 0 && results.stdout.isEmpty, "\(results)")
            #expect(results.stderr.contains("run doomed has no results: its last stage, nap, is a sql stage, so its statement wrote the rows to your own tables (table slow_out)"), "\(results)")
        }
    }

    @Test func everyReportHasJSON() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.readings(ws)
            #expect(try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none"], database: db).status == 1)
            let explain = try Ops.json(try await BatonProcess.run(["explain", "r", "10", "--json"], database: db).stdout)
            let item = try #require((explain["items"] as? [[String: Any]])?.first)
            #expect(item["state"] as? String == "failed" && (item["attempts"] as? [Any])?.count == 1, "\(explain)")
            #expect((item["finished_at"] as? String)?.hasSuffix("Z") == true, "\(explain)")
            let dry = try Ops.json(try await BatonProcess.run(["replay", "r", "--dry-run", "--json"], database: db).stdout)
            #expect(Ops.int(dry["items"]) == 4 && dry["dry_run"] as? Bool == true, "\(dry)")
            let prune = try Ops.json(try await BatonProcess.run(["prune", "--older-than", "1h", "--dry-run", "--json"], database: db).stdout)
            #expect(Ops.int(prune["run_count"]) == 0 && Ops.int(prune["items"]) == 0, "\(prune)")
            let validate = try Ops.json(try await BatonProcess.run(["validate", file, "--json"], database: db).stdout)
            #expect(validate["valid"] as? Bool == true, "\(validate)")
            let migrations = try Ops.json(try await BatonProcess.run(["migrate", "--status", "--json"], database: db).stdout)
            #expect(((migrations["migrations"] as? [[String: Any]])?.first?["applied_at"] as? String)?.hasSuffix("Z") == true, "\(migrations)")
        }
    }

    @Test func withJSONLogsEveryStderrLineIsJSONIncludingTheStoppingNotice() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 3_000)
            let output = try await Ops.interruptedRun(file, run: "logged", database: db, conn: conn,
                                                      extra: ["--log-format", "json"])
            #expect(output.status == 130, "\(output)")
            let lines = output.stderr.split(separator: "\n").map(String.init)
            let objects = lines.compactMap { try? Ops.json($0) }
            #expect(objects.count == lines.count, "every line is JSON: \(output.stderr)")
            #expect(objects.contains { ($0["message"] as? String)?.hasPrefix("stopping: ") == true && $0["signal"] as? String == "SIGINT" }, "\(output.stderr)")
        }
    }

    /// The lines of the first table in `text`: from its header (`stage …`, `id …`) to the
    /// first blank or note line.
    static func tableLines(_ text: String) -> [Substring] {
        Array(text.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("stage ") && !$0.hasPrefix("id ") }
            .prefix { !$0.isEmpty && !$0.hasPrefix("(") })
    }

    /// The status list as `run → column → value`.
    static func table(_ text: String) -> [String: [String: String]] {
        let lines = text.split(separator: "\n").map(String.init)
        guard let header = lines.first?.split(separator: " ").map(String.init) else { return [:] }
        var out: [String: [String: String]] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: " ").map(String.init)
            guard cells.count == header.count else { continue }
            out[cells[1]] = Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
        return out
    }
}
