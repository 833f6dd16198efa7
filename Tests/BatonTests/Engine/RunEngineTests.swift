import Baton
import BatonJQ
import BatonPostgres
import BatonTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Run engine")
struct RunEngineTests {
    @Test func jqThenSQLWritesOneRowPerItemAndTheRunSucceeds() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE squares (id int, square int)")  // no unique constraint on purpose
            let pipeline = Pipeline(
                name: "squares", source: EngineFixture.items(500),
                stages: [
                    Stage(name: "square", transform: try JQTransform(program: "{id, square: (.id * .id)}")),
                    Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO squares VALUES (:id, :square)", outputs: .none)),
                ]
            )
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r1", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stage("square")?.done == 500)
            #expect(report.stage("load")?.done == 500)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM squares") == 500)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM squares") == 500)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM squares WHERE square <> id * id") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state <> 'done'") == 0)
        }
    }

    @Test func resumingAFinishedRunNeitherSeedsNorWorksAgain() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE seen (id int)")
            let pipeline = Pipeline(name: "once", source: EngineFixture.items(50), stages: [
                Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO seen VALUES (:id)")),
            ])
            _ = try await RunEngine.run(pipeline, database: db.config, runName: "same", options: EngineFixture.options())
            let again = try await RunEngine.run(pipeline, database: db.config, runName: "same", options: EngineFixture.options())
            #expect(again.wasAlreadyFinished)
            #expect(again.run.state == .succeeded)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM seen") == 50)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.runs") == 1)
        }
    }

    /// A stop whose in-flight work was the last of the run: the run is done (it said
    /// interrupted, exit 130, with nothing left to resume).
    @Test func aStopThatLetTheLastItemsFinishEndsTheRunSucceeded() async throws {
        try await TestDatabase.with { db in
            let controller = RunController()
            let processed = Atomic<Int>(0)
            let stopAtTheEnd = SwiftTransform { item in
                if processed.add(1, ordering: .relaxed).newValue == 20 { controller.requestStop(.interrupt) }
                return .outputs([item.payload])
            }
            let pipeline = Pipeline(name: "last", source: EngineFixture.items(20), stages: [Stage(name: "only", transform: stopAtTheEnd, batchSize: 20)])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options(), controller: controller)
            #expect(report.stopReason == .none)
            #expect(report.run.state == .succeeded)
            #expect(report.stage("only")?.done == 20)
        }
    }

    @Test func anInterruptedRunResumesWithoutDuplicates() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE seen (id int)")
            let controller = RunController()
            let processed = Atomic<Int>(0)
            let slow = SwiftTransform { item in
                if processed.add(1, ordering: .relaxed).newValue == 40 { controller.requestStop(.interrupt) }
                try await Task.sleep(for: .milliseconds(1))
                return .outputs([item.payload])
            }
            var stages = [
                Stage(name: "slow", transform: slow, batchSize: 10),
                Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO seen VALUES (:id)", outputs: .none)),
            ]
            let pipeline = Pipeline(name: "resumable", source: EngineFixture.items(300), stages: stages)
            let first = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options(), controller: controller)
            #expect(first.stopReason == .interrupt)
            #expect(first.run.state == .running)
            let partial = try EngineFixture.count(conn, "SELECT count(*) FROM seen")
            #expect(partial < 300)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'running'") == 0)

            stages[0] = Stage(name: "slow", transform: SwiftTransform { .outputs([$0.payload]) }, batchSize: 10)
            let resumed = Pipeline(name: "resumable", source: EngineFixture.items(300), stages: stages)
            let second = try await RunEngine.run(resumed, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(second.run.state == .succeeded)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM seen") == 300)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM seen") == 300)
        }
    }

    @Test func transientFailuresAreRetriedWithBackoffUntilTheyPass() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let flaky = SwiftTransform { item in
                if item.attempt < 3 { throw StageError.transient("upstream hiccup \(item.attempt)", class: "flaky") }
                return .outputs([item.payload])
            }
            let pipeline = Pipeline(name: "flaky", source: EngineFixture.items(5), stages: [
                Stage(name: "flaky", transform: flaky, retry: EngineFixture.fastRetry(5)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stage("flaky")?.done == 5)
            #expect(report.stage("flaky")?.retried == 10)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE attempt = 3 AND state = 'done'") == 5)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts WHERE outcome = 'retry' AND error LIKE 'upstream hiccup%'") == 10)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 5)
        }
    }

    @Test func backoffDelaysTheNextAttempt() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let failing = SwiftTransform { _ in throw StageError.transient("later", class: "slow") }
            let pipeline = Pipeline(name: "backoff", source: EngineFixture.items(1), stages: [
                Stage(name: "s", transform: failing, retry: RetryPolicy(maxAttempts: 2, backoff: .fixed, initial: .seconds(60), jitter: 0)),
            ])
            let (delay, report) = try await EngineFixture.firstRetryDelay(pipeline, db)
            #expect(delay == 60)
            #expect(try conn.query("SELECT state FROM baton.items").rows[0].decode(String.self, 0) == "pending")
            #expect(report.stopReason == .interrupt)
        }
    }

    @Test func permanentErrorsFailAtOnceAndTheRunFails() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let picky = SwiftTransform { item in
                let id = try item.json()["id"]?.doubleValue ?? 0
                if id == 3 { throw StageError.permanent("item 3 is bad data", class: "data") }
                return .outputs([item.payload])
            }
            let pipeline = Pipeline(name: "picky", source: EngineFixture.items(5), stages: [
                Stage(name: "picky", transform: picky, retry: EngineFixture.fastRetry(5)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .failed)
            #expect(report.stage("picky")?.failed == 1)
            #expect(report.stage("picky")?.done == 4)
            #expect(report.stage("picky")?.retried == 0)
            let row = try conn.query("SELECT key, attempt, last_error FROM baton.items WHERE state = 'failed'").rows[0]
            #expect(try row.decode(String.self, 0) == "3")
            #expect(try row.decode(Int.self, 1) == 1)
            #expect(try row.decode(String.self, 2) == "item 3 is bad data")
        }
    }

    @Test func transientErrorsFailAfterMaxAttemptsWithEveryAttemptKept() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let down = SwiftTransform { item in throw StageError.transient("down (attempt \(item.attempt))", class: "down") }
            let pipeline = Pipeline(name: "down", source: EngineFixture.items(2), stages: [
                Stage(name: "down", transform: down, retry: EngineFixture.fastRetry(3)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .failed)
            #expect(report.stage("down")?.failed == 2)
            #expect(report.stage("down")?.retried == 4)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts") == 6)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts WHERE outcome = 'failed' AND error = 'down (attempt 3)'") == 2)
        }
    }

    @Test func keysChosenByATransformAreDeduplicatedAcrossBatchesBeforeAFusableStage() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE chosen_out (k text NOT NULL, n int NOT NULL)")
            // 40 items in batches of 4; the swift stage keys each output by id % 4 itself, so
            // each key appears once per batch and again in every other batch: the next stage
            // (sql, fusable by kind) must see each key once, as the queue's ON CONFLICT makes it.
            let source = EngineFixture.items(40) { i in .object([("id", .number(Double(i)))]) }
            let pipeline = Pipeline(name: "chosen", source: source, stages: [
                Stage(name: "pick", transform: SwiftTransform { item in
                    let id = Int(item.payload.filter(\.isNumber)) ?? -1
                    return StageOutput(outputs: [OutputItem(payload: #"{"k": "k\#(id % 4)", "n": \#(id)}"#, key: "k\(id % 4)")])
                }, batchSize: 4),
                Stage(name: "load", transform: SQLTransform(statement: "insert into chosen_out (k, n) values (:k, :n::int)")),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stage("load")?.done == 4)
            #expect(report.stage("load")?.deduplicated == 36)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM chosen_out") == 4)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT k) FROM chosen_out") == 4)
        }
    }

    @Test func runConnectionsDoNotJITCompile() async throws {
        // A generic plan estimated past jit_above_cost (the claim, on a run of millions of
        // items) would otherwise be compiled at every execution.
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE jit_seen (id int, jit text)")
            let pipeline = Pipeline(name: "nojit", source: EngineFixture.items(30), stages: [
                Stage(name: "shape", transform: try JQTransform(program: "{id}")),
                Stage(name: "note", transform: SQLTransform(statement: "insert into jit_seen values (:id::int, current_setting('jit'))")),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM jit_seen WHERE jit = 'off'") == 30)
        }
    }

    @Test func aStageKeyExpressionDeduplicatesItsInputs() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            // 20 orders fan out to line items; many orders share SKUs; the `sku` stage keys by SKU.
            let source = EngineFixture.items(20) { i in
                .object([("id", .number(Double(i))), ("skus", .array([.string("sku-\(i % 3)"), .string("sku-\(i % 5)")]))])
            }
            let pipeline = Pipeline(name: "dedupe", source: source, stages: [
                Stage(name: "explode", transform: try JQTransform(program: ".skus[] | {sku: .}")),
                Stage(name: "sku", transform: try JQTransform(program: "."), key: ".sku"),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stage("sku")?.done == 5)   // sku-0 … sku-4
            #expect(report.stage("sku")?.deduplicated == 35)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 5)
        }
    }

    @Test func fanOutChildKeysDeriveFromParentAndPosition() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let source = SourceSpec(.items([.object([("id", .string("a")), ("n", .array([.number(1), .number(2)]))])]), key: ".id")
            // echo keeps its queue, so its items (and their keys) are stored.
            var echo = Stage(name: "echo", transform: try JQTransform(program: "{v: .}"))
            echo.fuse = false
            let pipeline = Pipeline(name: "keys", source: source, stages: [
                Stage(name: "explode", transform: try JQTransform(program: ".n[]")),
                echo,
            ])
            _ = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            let keys = try conn.query("SELECT key FROM baton.items WHERE stage = 'echo' ORDER BY key").rows.map { try $0.decode(String.self, 0) }
            #expect(keys == ["a/0", "a/1"])
            let results = try conn.query("SELECT key, payload::text FROM baton.results ORDER BY key").rows.map { try $0.decode(String.self, 0) + " " + $0.decode(String.self, 1) }
            #expect(results == [#"a/0/0 {"v": 1}"#, #"a/1/0 {"v": 2}"#])
        }
    }

    @Test func aFilteredItemIsSkippedNotFailed() async throws {
        try await TestDatabase.with { db in
            let pipeline = Pipeline(name: "filter", source: EngineFixture.items(10), stages: [
                Stage(name: "odd", transform: try JQTransform(program: "select(.id % 2 == 1)")),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            #expect(report.stage("odd")?.done == 5)
            #expect(report.stage("odd")?.skipped == 5)
        }
    }

    @Test func aJqRuntimeErrorFailsTheItemPermanentlyWithJqsMessage() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let source = SourceSpec(.items([.object([("id", .number(1)), ("a", .number(5))]), .object([("id", .number(2)), ("a", .object([("b", .number(1))]))])]), key: ".id")
            let pipeline = Pipeline(name: "jqerr", source: source, stages: [
                Stage(name: "dig", transform: try JQTransform(program: "{b: .a.b}"), retry: EngineFixture.fastRetry(3)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.stage("dig")?.failed == 1)
            #expect(report.stage("dig")?.done == 1)
            let row = try conn.query("SELECT key, attempt, last_error, error_class FROM baton.items WHERE state = 'failed'").rows[0]
            #expect(try row.decode(String.self, 0) == "1")
            #expect(try row.decode(Int.self, 1) == 1)
            let message = try row.decode(String.self, 2)
            #expect(message.contains("Cannot index number with string \"b\""), "\(message)")
            #expect(try row.decode(String.self, 3) == "jq")
        }
    }

    @Test func oneFailingSQLEffectFailsOnlyItsItemAndTheBatchCommits() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)")
            let source = EngineFixture.items(20) { i in
                .object([("id", .number(Double(i))), ("v", i == 7 ? .null : .number(Double(i)))])
            }
            let pipeline = Pipeline(name: "sqlfail", source: source, stages: [
                Stage(name: "load", transform: SQLTransform(statement: "INSERT INTO t (id, v) VALUES (:id, :v)"), batchSize: 50),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options(workers: 1))
            #expect(report.run.state == .failed)
            #expect(report.stage("load")?.done == 19)
            #expect(report.stage("load")?.failed == 1)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM t") == 19)
            let error = try conn.query("SELECT last_error, error_class FROM baton.items WHERE state = 'failed'").rows[0]
            #expect(try error.decode(String.self, 0).contains("null value in column \"v\""))
            #expect(try error.decode(String.self, 1) == "sqlstate 23502")
        }
    }

    @Test func sqlOutputsReturningFeedTheNextStage() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE users (id serial PRIMARY KEY, name text)")
            let source = SourceSpec(.items(["ann", "bob"].map { .object([("name", .string($0))]) }), key: ".name")
            let pipeline = Pipeline(name: "returning", source: source, stages: [
                Stage(name: "insert", transform: SQLTransform(statement: "INSERT INTO users (name) VALUES (:name) RETURNING id, upper(name) AS shout", outputs: .returning)),
                Stage(name: "echo", transform: try JQTransform(program: ".")),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.run.state == .succeeded)
            let shouts = try conn.query("SELECT payload->>'shout' FROM baton.results ORDER BY 1").rows.map { try $0.decode(String.self, 0) }
            #expect(shouts == ["ANN", "BOB"])
        }
    }

    @Test func aBacklogLimitKeepsTheQueueBounded() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let peak = Mutex<Int>(0)
            let observe = SwiftTransform { item in
                return .outputs([item.payload])
            }
            var pipeline = Pipeline(name: "bounded", source: EngineFixture.items(3000), stages: [
                Stage(name: "fan", transform: try JQTransform(program: "range(10) as $i | {id, i: $i}"), batchSize: 20),
                Stage(name: "sink", transform: observe, batchSize: 50),
            ])
            pipeline.backlogLimit = 500
            var options = EngineFixture.options(workers: 2)
            options.seedChunkSize = 200
            let watcher = Task {
                let watch = try db.connect()
                while !Task.isCancelled {
                    let pending = try EngineFixture.count(watch, "SELECT count(*) FROM baton.items WHERE state = 'pending'")
                    peak.withLock { $0 = max($0, pending) }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: options)
            watcher.cancel()
            #expect(report.run.state == .succeeded)
            #expect(report.stage("sink")?.done == 30_000)
            // Without backpressure all 3 000 sources and their 30 000 children would queue up.
            let observed = peak.withLock { $0 }
            #expect(observed < 1_600, "peak pending \(observed)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE stage = 'sink'") == 30_000)
        }
    }

    @Test func concurrentIncrementsOfSharedRowsCountExactlyOnceWithoutDeadlocks() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE tally (bucket int PRIMARY KEY, n int NOT NULL)")
            // 2 000 items increment 20 shared rows, from 4 workers with large, slow batches and
            // short leases (frequent heartbeats): batches overlap on every row while leases are
            // renewed, the worst case for lock-order deadlocks.
            // Buckets in scrambled order, so two batches lock the same rows in different orders.
            let source = EngineFixture.items(2000) { i in
                .object([("id", .number(Double(i))), ("bucket", .number(Double(((i &* 2_654_435_761) >> 11) % 20)))])
            }
            let pipeline = Pipeline(name: "tally", source: source, stages: [
                Stage(name: "count", transform: SQLTransform(statement: """
                    INSERT INTO tally AS t (bucket, n) SELECT :bucket, 1 FROM pg_sleep(0.001)
                    ON CONFLICT (bucket) DO UPDATE SET n = t.n + 1
                    """), retry: EngineFixture.fastRetry(3), batchSize: 250, lease: .seconds(1)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options(workers: 4))
            #expect(report.run.state == .succeeded)
            let errors = try conn.query("SELECT DISTINCT coalesce(last_error, '') FROM baton.items WHERE state = 'failed'").rows.map { $0[0] ?? "" }
            #expect(report.stage("count")?.failed == 0, "\(errors)")
            #expect(try EngineFixture.count(conn, "SELECT sum(n)::int FROM tally") == 2000)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM tally") == 20)
        }
    }
}
