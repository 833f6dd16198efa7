import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The operator's loop after a bad night: `failures` says what broke, the file is fixed,
/// `replay --dry-run` previews, `replay` finishes the run without duplicating anything.
@Suite("Replaying failures (end to end)")
struct ReplayOperationsTests {
    /// `replay --done` right after a run of 20 000 items finished (its item table not yet
    /// analyzed) was planned as nested loops over every pair of items and gave up after 30 s
    /// with "database unavailable" (exit 69). It answers now, and replays every item.
    @Test func aDoneReplayRightAfterALargeRunIsQuick() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try conn.execute("CREATE TABLE wide_out (id int PRIMARY KEY, n int NOT NULL DEFAULT 1)")
            let file = try ws.idsPipeline("wide", count: 20_000, stages: """
                  - name: shape
                    jq: '{id}'
                  - name: load
                    sql: insert into wide_out (id) values (:id) on conflict (id) do update set n = wide_out.n + 1
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "w", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            // The planner's nested loops hit the 30 s answer timeout (exit 69): the exit codes
            // are the check (a wall-clock bound here failed on a loaded machine, at 27 s).
            let preview = try await BatonProcess.run(["replay", "w", "--done", "--dry-run"], database: db)
            #expect(preview.status == 0, "\(preview)")
            let replay = try await BatonProcess.run(["replay", "w", "--done", "--progress", "none"], database: db)
            #expect(replay.status == 0, "\(replay)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM wide_out WHERE n = 2") == 20_000, "every item replayed once")
        }
    }

    /// 20 orders. The `check` stage rejects every 5th (4 items); `load` hits the CHECK
    /// constraint for qty 0 (ids 7 and 14) and the NOT NULL constraint for the order without
    /// a sku (id 3).
    static func brokenOrders(_ ws: Workspace) throws -> String {
        let orders: [[String: Any]] = (1...20).map { id in
            ["id": id, "qty": id % 7, "sku": id == 3 ? NSNull() : String(format: "S%03d", id)]
        }
        try ws.write("fixtures/orders.jsonl", try Ops.jsonl(orders))
        return try ws.write("orders.yaml", """
            pipeline: orders
            source:
              jsonl: \(ws.url.path)/fixtures/orders.jsonl
              key: .id
            stages:
              - name: check
                jq: 'if .id % 5 == 0 then error("order \\(.id) is on hold") else . end'
              - name: load
                sql: insert into orders_out (id, qty, sku) values (:id, :qty, :sku)
            """)
    }

    static func fixedOrders(_ ws: Workspace) throws {
        try ws.write("orders.yaml", """
            pipeline: orders
            source:
              jsonl: \(ws.url.path)/fixtures/orders.jsonl
              key: .id
            stages:
              - name: check
                jq: .
              - name: load
                sql: insert into orders_out (id, qty, sku) values (:id, greatest(:qty::int, 1), coalesce(:sku, 'unknown'))
            """)
    }

    @Test func failuresAreGroupedThenAFixedFileIsReplayedToExactlyTheExpectedRows() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.brokenOrders(ws)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE orders_out (id int PRIMARY KEY, qty int NOT NULL CHECK (qty > 0), sku text NOT NULL)")

            // 1. The run finishes with failed items: exit 1, and the summary counts them.
            let run = try await BatonProcess.run(["run", file, "--run", "night", "--progress", "none"], database: db)
            #expect(run.status == 1, "\(run)")
            let summary = Ops.stageTable(run.stdout)
            #expect(summary["check"]?["done"] == "16" && summary["check"]?["failed"] == "4", "\(run)")
            #expect(summary["load"]?["done"] == "13" && summary["load"]?["failed"] == "3", "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 13)

            // 2. `failures` groups them by stage and cause, largest group first.
            let failures = try await BatonProcess.run(["failures", "night"], database: db)
            #expect(failures.status == 0, "\(failures)")
            #expect(failures.stdout.contains("run night: 7 failed items in 3 groups"), "\(failures)")
            let groups = Self.humanGroups(failures.stdout)
            #expect(groups.map(\.title) == [
                "4 × stage check · jq", "2 × stage load · sqlstate 23514", "1 × stage load · sqlstate 23502",
            ], "\(failures)")
            #expect(groups.first?.message.contains("order 5 is on hold") == true, "\(failures)")
            #expect(groups.dropFirst().first?.message.contains("orders_out_qty_check") == true, "\(failures)")
            #expect(groups.last?.message.contains("null value in column \"sku\"") == true, "\(failures)")
            #expect(groups.map { Set($0.keys) } == [["5", "10", "15"], ["7/0", "14/0"], ["3/0"]], "\(failures)")
            #expect(failures.stdout.contains("baton replay night --dry-run"))

            // … and `--json` says the same.
            let failuresJSON = try await BatonProcess.run(["failures", "night", "--json"], database: db)
            #expect(failuresJSON.status == 0, "\(failuresJSON)")
            let document = try Ops.json(failuresJSON.stdout)
            #expect(Ops.int(document["failed"]) == 7)
            let jsonGroups = try #require(document["groups"] as? [[String: Any]])
            #expect(jsonGroups.map { "\(Ops.int($0["count"]) ?? -1) × stage \($0["stage"] ?? "") · \($0["error_class"] ?? "")" }
                == groups.map(\.title))
            #expect(jsonGroups.map { Set($0["example_keys"] as? [String] ?? []) } == groups.map { Set($0.keys) })

            // 3. Fix the file; the dry run predicts per stage and changes nothing.
            try Self.fixedOrders(ws)
            let itemsBefore = try Ops.rows(conn, "SELECT stage, key, state, attempt, coalesce(last_error, '') FROM baton.items ORDER BY id")
            let rowsBefore = try Ops.rows(conn, "SELECT * FROM orders_out ORDER BY id")
            let dry = try await BatonProcess.run(["replay", "night", "--dry-run"], database: db)
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("would re-run 7 items of run night:"), "\(dry)")
            #expect(dry.stdout.contains("\n  check: 4\n"), "\(dry)")
            #expect(dry.stdout.contains("\n  load: 3\n"), "\(dry)")
            #expect(try Ops.rows(conn, "SELECT stage, key, state, attempt, coalesce(last_error, '') FROM baton.items ORDER BY id") == itemsBefore)
            #expect(try Ops.rows(conn, "SELECT * FROM orders_out ORDER BY id") == rowsBefore)
            #expect(try Ops.runState(conn, "night") == "failed")

            // 4. The replay finishes the run: every order exactly once, with the fixed values.
            let replay = try await BatonProcess.run(["replay", "night", "--progress", "none"], database: db)
            #expect(replay.status == 0, "\(replay)")
            #expect(replay.stdout.contains("succeeded"), "\(replay)")
            #expect(Ops.stageTable(replay.stdout)["load"]?["done"] == "20", "\(replay)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 20)
            #expect(try Ops.count(conn, """
                SELECT count(*) FROM orders_out
                WHERE qty <> greatest(id % 7, 1) OR sku <> CASE WHEN id = 3 THEN 'unknown' ELSE 'S' || lpad(id::text, 3, '0') END
                """) == 0)
            #expect(try Ops.itemStates(conn, run: "night") == ["check": ["done": 20], "load": ["done": 20]])
            #expect(try Ops.runState(conn, "night") == "succeeded")
            let after = try await BatonProcess.run(["failures", "night"], database: db)
            #expect(after.stdout.contains("run night: no failed items"), "\(after)")
        }
    }

    @Test func replayingASucceededStageReplacesItsDownstreamResultsInsteadOfAddingToThem() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            func pipeline(factor: Int) throws -> String {
                try ws.write("split.yaml", """
                    pipeline: split
                    source:
                      items:
                        - {id: 1, n: 10}
                        - {id: 2, n: 20}
                        - {id: 3, n: 30}
                      key: .id
                    stages:
                      - name: shape
                        jq: '{id, v: (.n * \(factor))}'
                      - name: fan
                        jq: '{id, part: "a", v}, {id, part: "b", v: (.v + 1)}'
                    """)
            }
            let file = try pipeline(factor: 2)
            let conn = try db.connect()
            let run = try await BatonProcess.run(["run", file, "--run", "s", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            let before = try await BatonProcess.run(["results", "s", "--jsonl"], database: db)
            #expect(Self.resultValues(before.stdout) == ["1a20", "1b21", "2a40", "2b41", "3a60", "3b61"], "\(before)")

            _ = try pipeline(factor: 3)
            let dry = try await BatonProcess.run(["replay", "s", "--stage", "shape", "--done", "--dry-run"], database: db)
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("would re-run 3 items of run s:\n  shape: 3\n"), "\(dry)")
            #expect(dry.stdout.contains("delete 3 downstream item(s)"), "\(dry)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 6)

            let replay = try await BatonProcess.run(["replay", "s", "--stage", "shape", "--done", "--progress", "none"], database: db)
            #expect(replay.status == 0, "\(replay)")
            let after = try await BatonProcess.run(["results", "s", "--jsonl"], database: db)
            #expect(after.status == 0, "\(after)")
            #expect(Self.resultValues(after.stdout) == ["1a30", "1b31", "2a60", "2b61", "3a90", "3b91"], "\(after)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 6)
            #expect(try Ops.itemStates(conn, run: "s") == ["shape": ["done": 3], "fan": ["done": 3]])
        }
    }

    @Test func replaySelectsItemsByKeyAndByErrorText() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            func pipeline(_ jq: String) throws -> String {
                try ws.write("picky.yaml", """
                    pipeline: picky
                    source:
                      items: [{id: 1}, {id: 2}, {id: 3}, {id: 4}, {id: 5}]
                      key: .id
                    stages:
                      - name: pick
                        jq: '\(jq)'
                    """)
            }
            let file = try pipeline(#"if .id == 2 then error("alpha") elif .id >= 4 then error("beta \(.id)") else . end"#)
            let conn = try db.connect()
            #expect(try await BatonProcess.run(["run", file, "--run", "p", "--progress", "none"], database: db).status == 1)

            let byError = try await BatonProcess.run(["replay", "p", "--error", "BETA", "--dry-run"], database: db)
            #expect(byError.stdout.contains("would re-run 2 items of run p:\n  pick: 2\n"), "\(byError)")
            let none = try await BatonProcess.run(["replay", "p", "--key", "1", "--dry-run"], database: db)
            #expect(none.status == 0 && none.stdout.contains("nothing to replay in run p: no failed item matches"), "\(none)")
            let unknownStage = try await BatonProcess.run(["replay", "p", "--stage", "gone", "--dry-run"], database: db)
            #expect(unknownStage.status == 64 && unknownStage.stderr.contains("run p has no stage gone"), "a typo, not a removed stage (issue 10, point 11): \(unknownStage)")

            _ = try pipeline(".")
            // Only item 2: the run is still failed (4 and 5 were not selected).
            let one = try await BatonProcess.run(["replay", "p", "--key", "2", "--progress", "none"], database: db)
            #expect(one.status == 1, "\(one)")
            #expect(try Ops.rows(conn, "SELECT key FROM baton.results ORDER BY key") == ["1/0", "2/0", "3/0"])
            #expect(try Ops.itemStates(conn, run: "p") == ["pick": ["done": 3, "failed": 2]])
            let rest = try await BatonProcess.run(["replay", "p", "--error", "beta", "--progress", "none"], database: db)
            #expect(rest.status == 0, "\(rest)")
            #expect(try Ops.rows(conn, "SELECT key FROM baton.results ORDER BY key") == ["1/0", "2/0", "3/0", "4/0", "5/0"])
            #expect(try Ops.runState(conn, "p") == "succeeded")
        }
    }

    /// The groups of `baton failures` as printed: title line, the example message
    /// (`  e.g. KEY: message`, after the pattern when it differs), example keys (`  keys: …`).
    static func humanGroups(_ text: String) -> [(title: String, message: String, keys: [String])] {
        let lines = text.split(separator: "\n").map(String.init)
        var groups: [(title: String, message: String, keys: [String])] = []
        for (index, line) in lines.enumerated() where line.contains(" × stage ") {
            let body = lines[(index + 1)...].prefix { $0.hasPrefix("  ") }
            let message = body.first { $0.hasPrefix("  e.g. ") } ?? ""
            let keys = (body.first { $0.hasPrefix("  keys: ") } ?? "").replacingOccurrences(of: "  keys: ", with: "")
                .replacingOccurrences(of: ", …", with: "").components(separatedBy: ", ")
            groups.append((line, message, keys))
        }
        return groups
    }

    /// `{"id":1,"part":"a","v":20}` lines → `1a20`, sorted.
    static func resultValues(_ jsonl: String) -> [String] {
        jsonl.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? Ops.json(String(line)) else { return "unparsable: \(line)" }
            return "\(Ops.int(object["id"]) ?? -1)\(object["part"] as? String ?? "?")\(Ops.int(object["v"]) ?? -1)"
        }.sorted()
    }
}
