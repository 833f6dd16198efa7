import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// Fused stages (`Stage.runsInline`): a jq or sql stage with no `key:` runs inside the commit
/// of the stage before it. The rows, the per-stage counts, the failures and replays are what
/// they are without fusion; only the fused stage's successful items are not stored.
@Suite("Fused stages (end to end)")
struct FusionOperationsTests {
    /// `count` orders; `load` hits the CHECK constraint for the ids in `zeroQuantity`.
    static func orders(_ ws: Workspace, count: Int, zeroQuantity: Set<Int> = [], fuse: Bool = true,
                       filter: Bool = false, loadSQL: String? = nil) throws -> String {
        let orders: [[String: Any]] = (1...count).map { id in ["id": id, "qty": zeroQuantity.contains(id) ? 0 : id % 5 + 1] }
        try ws.write("fixtures/orders.jsonl", try Ops.jsonl(orders))
        let middle = filter ? """
              - name: even
                jq: 'select(.id % 2 == 0)'

            """ : ""
        return try ws.write("orders.yaml", """
            pipeline: orders
            source:
              jsonl: \(ws.url.path)/fixtures/orders.jsonl
              key: .id
            stages:
              - name: shape
                jq: '{id, qty, note: ("order " + (.id | tostring))}'
            \(middle)  - name: load
                sql: \(loadSQL ?? "insert into orders_out (id, qty, note) values (:id, :qty, :note) on conflict (id) do update set qty = excluded.qty, note = excluded.note")
                \(fuse ? "" : "fuse: false")
            """)
    }

    static func createTable(_ conn: Connection) throws {
        try conn.execute("CREATE TABLE orders_out (id int PRIMARY KEY, qty int NOT NULL CHECK (qty > 0), note text NOT NULL)")
    }

    static func storedItems(_ conn: Connection, stage: String) throws -> Int {
        try Ops.count(conn, "SELECT count(*) FROM baton.item_rows WHERE stage = $1", [stage])
    }

    @Test func aFusedStageWritesEveryRowOnceWithExactCountsAndStoresNoItems() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Self.createTable(conn)
            let file = try Self.orders(ws, count: 1_000)
            let run = try await BatonProcess.run(["run", file, "--run", "fused", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            let table = Ops.stageTable(run.stdout)
            #expect(table["shape"]?["done"] == "1000" && table["load"]?["done"] == "1000", "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 1_000)
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out WHERE qty <> id % 5 + 1 OR note <> 'order ' || id") == 0)
            // The fused stage kept counts only.
            #expect(try Self.storedItems(conn, stage: "load") == 0)
            #expect(try Self.storedItems(conn, stage: "shape") == 1_000)
            let status = try await BatonProcess.run(["status", "fused", "--json"], database: db)
            let stages = try #require(try Ops.json(status.stdout)["stages"] as? [[String: Any]], "\(status)")
            #expect(stages.map { "\($0["name"] ?? "")=\(Ops.int($0["done"]) ?? -1)" } == ["shape=1000", "load=1000"], "\(status)")
            // `explain` says where the fused item went, and a fused key points at its parent.
            let explained = try await BatonProcess.run(["explain", "fused", "42"], database: db)
            #expect(explained.status == 0 && explained.stdout.contains("ran fused in the same commit (counted, not stored): load ×1"), "\(explained)")
            let fusedKey = try await BatonProcess.run(["explain", "fused", "42/0"], database: db)
            #expect(fusedKey.status == 64 && fusedKey.stderr.contains("items of fused stages are counted, not stored"), "\(fusedKey)")
        }
    }

    @Test func fuseFalseKeepsTheQueueBoundaryAndTheSameRows() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Self.createTable(conn)
            let file = try Self.orders(ws, count: 300, fuse: false)
            let run = try await BatonProcess.run(["run", file, "--run", "unfused", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            #expect(Ops.stageTable(run.stdout)["load"]?["done"] == "300", "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 300)
            #expect(try Self.storedItems(conn, stage: "load") == 300)
        }
    }

    @Test func anItemFailingInAFusedStageFailsAloneNamingThatStageAndIsReplayed() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Self.createTable(conn)
            let file = try Self.orders(ws, count: 400, zeroQuantity: [7, 250])
            let run = try await BatonProcess.run(["run", file, "--run", "night", "--progress", "none"], database: db)
            #expect(run.status == 1, "\(run)")
            let table = Ops.stageTable(run.stdout)
            #expect(table["shape"]?["done"] == "400", "\(run)")
            #expect(table["load"]?["done"] == "398" && table["load"]?["failed"] == "2", "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 398)
            let failures = try await BatonProcess.run(["failures", "night", "--json"], database: db)
            let groups = try #require(try Ops.json(failures.stdout)["groups"] as? [[String: Any]], "\(failures)")
            #expect(groups.count == 1 && groups.first?["stage"] as? String == "load", "\(failures)")
            #expect(Set(groups.first?["example_keys"] as? [String] ?? []) == ["7/0", "250/0"], "\(failures)")

            // Fixed: the replay runs only the two failed items, and the counts stay exact.
            _ = try Self.orders(ws, count: 400, zeroQuantity: [7, 250], loadSQL: """
                insert into orders_out (id, qty, note) values (:id, greatest(:qty::int, 1), :note) on conflict (id) do update set qty = excluded.qty
                """)
            let replay = try await BatonProcess.run(["replay", "night", "--progress", "none"], database: db)
            #expect(replay.status == 0, "\(replay)")
            #expect(Ops.stageTable(replay.stdout)["load"]?["done"] == "400", "\(replay)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 400)
            #expect(try Ops.runState(conn, "night") == "succeeded")
        }
    }

    @Test func aFilterInAFusedStageCountsItsSkippedItemsAndTheChainGoesOn() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Self.createTable(conn)
            let file = try Self.orders(ws, count: 500, filter: true)
            let run = try await BatonProcess.run(["run", file, "--run", "evens", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            let table = Ops.stageTable(run.stdout)
            #expect(table["shape"]?["done"] == "500", "\(run)")
            #expect(table["even"]?["done"] == "250" && table["even"]?["skipped"] == "250", "\(run)")
            #expect(table["load"]?["done"] == "250", "\(run)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 250)
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out WHERE id % 2 <> 0") == 0)
            #expect(try Self.storedItems(conn, stage: "even") == 0 && Self.storedItems(conn, stage: "load") == 0)
        }
    }

    @Test func replayingDoneItemsThroughAFusedStageKeepsItsCountsAndRefusesTheFusedStageAlone() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Self.createTable(conn)
            let file = try Self.orders(ws, count: 600, filter: true)
            let run = try await BatonProcess.run(["run", file, "--run", "again", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")

            // The fused stage alone: refused, naming the stage that re-runs it.
            let alone = try await BatonProcess.run(["replay", "again", "--done", "--stage", "load"], database: db)
            #expect(alone.status == 64, "\(alone)")
            #expect(alone.stderr.contains("stage load is fused") && alone.stderr.contains("--done --stage shape"), "\(alone)")

            // Part of the head stage: the members that came from it leave the fused counts and come back once.
            let some = try await BatonProcess.run(["replay", "again", "--done", "--stage", "shape", "--key", "2", "--key", "3",
                                                   "--progress", "none"], database: db)
            #expect(some.status == 0, "\(some)")
            let afterSome = Ops.stageTable(some.stdout)
            #expect(afterSome["shape"]?["done"] == "600", "\(some)")
            #expect(afterSome["even"]?["done"] == "300" && afterSome["even"]?["skipped"] == "300", "\(some)")
            #expect(afterSome["load"]?["done"] == "300", "\(some)")

            // All of it.
            let all = try await BatonProcess.run(["replay", "again", "--done", "--progress", "none"], database: db)
            #expect(all.status == 0, "\(all)")
            let afterAll = Ops.stageTable(all.stdout)
            #expect(afterAll["shape"]?["done"] == "600", "\(all)")
            #expect(afterAll["even"]?["done"] == "300" && afterAll["even"]?["skipped"] == "300", "\(all)")
            #expect(afterAll["load"]?["done"] == "300", "\(all)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM orders_out") == 300)
        }
    }

    @Test func aFusedLastJqStageWritesItsResults() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("fixtures/in.jsonl", try Ops.jsonl((1...250).map { ["id": $0] }))
            let file = try ws.write("results.yaml", """
                pipeline: doubled
                source:
                  jsonl: \(ws.url.path)/fixtures/in.jsonl
                  key: .id
                stages:
                  - name: first
                    jq: '{id, twice: (.id * 2)}'
                  - name: second
                    jq: '.twice += 1'
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            #expect(Ops.stageTable(run.stdout)["second"]?["done"] == "250", "\(run)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 250)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results WHERE (payload->>'twice')::int <> (payload->>'id')::int * 2 + 1") == 0)
            #expect(try Ops.rows(conn, "SELECT key FROM baton.results ORDER BY (payload->>'id')::int LIMIT 2") == ["1/0/0", "2/0/0"])
        }
    }
    /// The last stage's outputs are results, in no batch: its commits take no batch ids. They
    /// once asked for one id per result, and each commit fetched a new reserve of ids in a
    /// transaction of its own (one more flush to disk per commit).
    @Test func aLastStageWritingResultsTakesNoBatchIds() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("fixtures/in.jsonl", try Ops.jsonl((1...5_000).map { ["id": $0] }))
            let file = try ws.write("results.yaml", """
                pipeline: last
                source:
                  jsonl: \(ws.url.path)/fixtures/in.jsonl
                  key: .id
                stages:
                  - name: only
                    batch_size: 100
                    jq: '{id, twice: (.id * 2)}'
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 5_000)
            // 50 seeded batches and the workers' reserves (64 ids each); 5 000 and more before.
            let used = try Ops.count(conn, "SELECT last_value FROM baton.batch_ids")
            #expect(used < 1_000, "\(used) batch ids taken")
        }
    }
    /// Results are inserted without `ON CONFLICT` (no path of Baton's writes one key twice:
    /// a replay deletes the results it redoes); a key already there all the same makes the
    /// commit go again with the upsert, and the new output replaces the old.
    @Test func aResultKeyAlreadyThereIsReplacedAndTheRunSucceeds() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("fixtures/in.jsonl", try Ops.jsonl((1...300).map { ["id": $0] }))
            let file = try ws.write("again.yaml", """
                pipeline: again
                source:
                  jsonl: \(ws.url.path)/fixtures/in.jsonl
                  key: .id
                stages:
                  - name: only
                    batch_size: 50
                    jq: '{id, n: (.id + 1)}'
                """)
            let seeded = try await BatonProcess.run(["run", file, "--run", "r", "--seed-only", "--progress", "none"], database: db)
            #expect(seeded.status == 0, "\(seeded)")
            let conn = try db.connect()
            try conn.execute("""
                INSERT INTO baton.results (run_id, key, stage, payload)
                SELECT id, k, 'only', '{"stale": true}' FROM baton.runs, unnest(ARRAY['7/0', '123/0', '300/0']) AS k WHERE name = 'r'
                """)
            let run = try await BatonProcess.run(["resume", "r", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            #expect(try Ops.rows(conn, "SELECT state FROM baton.runs WHERE name = 'r'") == ["succeeded"])
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 300)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results WHERE (payload->>'n')::int = (payload->>'id')::int + 1") == 300)
        }
    }
}
