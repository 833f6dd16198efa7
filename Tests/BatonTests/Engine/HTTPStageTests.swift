import Baton
import BatonJQ
import BatonPostgres
import BatonTestSupport
import Foundation
import Synchronization
import Testing

/// The `http` stage against a real HTTP server on 127.0.0.1, through the engine.
@Suite("HTTP stage")
struct HTTPStageTests {
    typealias Box = TestHTTPServer.LockedBox

    private func run(
        _ db: TestDatabase, server: TestHTTPServer, items: Int = 1, retry: RetryPolicy = EngineFixture.fastRetry(3),
        concurrency: Int? = nil, configure: (inout HTTPStageConfig) -> Void = { _ in }
    ) async throws -> RunReport {
        var config = HTTPStageConfig(url: server.baseURL + "/things/{{ .id }}")
        config.timeout = .milliseconds(800)
        configure(&config)
        let pipeline = Pipeline(name: "http", source: EngineFixture.items(items), stages: [
            Stage(name: "fetch", transform: try HTTPTransform(config: config), retry: retry, concurrency: concurrency),
        ])
        return try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
    }

    private func failure(_ conn: Connection) throws -> (attempt: Int, errorClass: String, error: String) {
        let row = try conn.query("SELECT attempt, error_class, last_error FROM baton.items WHERE state = 'failed'").rows[0]
        return (try row.decode(Int.self, 0), try row.decode(String.self, 1), try row.decode(String.self, 2))
    }

    /// A response with bytes that are not UTF-8 was stored with U+FFFD in their place (the
    /// data changed, the run succeeded). Now the item fails for good, naming the byte.
    @Test(arguments: [HTTPStageConfig.ResponseFormat.json, .text])
    func aResponseThatIsNotUTF8FailsItsItem(response: HTTPStageConfig.ResponseFormat) async throws {
        let server = try TestHTTPServer.start { _ in
            .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array(#"{"name":""#.utf8) + [0xFF, 0xFE, 0x63, 0xE9] + Array(#""}"#.utf8))
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server) { config in
                config.response = response
                config.into = "remote"
            }
            #expect(report.run.state == .failed)
            let failed = try failure(conn)
            #expect(failed.attempt == 1 && failed.errorClass == "http response", "\(failed)")
            #expect(failed.error.contains("the response is not valid UTF-8 (byte 10 of 15)"), "\(failed.error)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 0)
        }
    }

    /// With `into:`, an item that is no object can never succeed: its request was sent (a
    /// POST's effect) and then the item failed. Now nothing is sent for it.
    @Test func anItemThatIsNoObjectIsNotSentWithInto() async throws {
        let served = Box(0)
        let server = try TestHTTPServer.start { _ in
            served.withLock { $0 += 1 }
            return .json(#"{"ok": true}"#)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            var config = HTTPStageConfig(url: server.baseURL + "/things")
            config.method = "POST"
            config.into = "remote"
            let source = SourceSpec(.items([.array([.number(1)]), .object([("id", .number(2))])]), key: "tostring")
            let pipeline = Pipeline(name: "http", source: source, stages: [
                Stage(name: "fetch", transform: try HTTPTransform(config: config), retry: EngineFixture.fastRetry(3)),
            ])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.stage("fetch")?.done == 1 && report.stage("fetch")?.failed == 1)
            #expect(served.withLock { $0 } == 1, "only the object was sent")
            let failed = try failure(conn)
            #expect(failed.attempt == 1 && failed.error.contains("into: remote needs an object, got [1]; nothing was sent"), "\(failed)")
        }
    }

    @Test func aJSONResponseReplacesTheItemOrMergesInto() async throws {
        let server = try TestHTTPServer.start { request in
            .json(#"{"path": "\#(request.path)", "stars": 42}"#)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server, items: 2) { config in
                config.into = "remote"
                config.statusField = "status"
            }
            #expect(report.run.state == .succeeded)
            let payloads = try conn.query("SELECT payload::text FROM baton.results ORDER BY key").rows.map { try $0.decode(String.self, 0) }
            #expect(payloads == [
                #"{"id": 1, "remote": {"path": "/things/1", "stars": 42}, "status": 200}"#,
                #"{"id": 2, "remote": {"path": "/things/2", "stars": 42}, "status": 200}"#,
            ])
        }
    }

    /// `keep_headers` kept only the last of a repeated header (two `Link` headers, the second
    /// alone was stored). Repeated values are combined, in order, as RFC 9110 does.
    @Test func keptHeadersCombineTheValuesOfARepeatedHeader() async throws {
        let server = try TestHTTPServer.start { _ in
            .json(#"{"ok": true}"#, headers: [("Link", "<a>; rel=next"), ("ETag", "\"v1\""), ("link", "<b>; rel=last")])
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server) { config in
                config.into = "remote"
                config.keepHeaders = ["link", "etag", "x-missing"]
            }
            #expect(report.run.state == .succeeded)
            let headers = try conn.query("SELECT (payload->'headers')::text FROM baton.results").rows.map { try $0.decode(String.self, 0) }
            #expect(headers == [#"{"etag": "\"v1\"", "link": "<a>; rel=next, <b>; rel=last", "x-missing": null}"#])  // jsonb's key order
        }
    }

    /// `.` and `..` are unreserved, so a template part giving them was sent as is and libcurl
    /// resolved it: `POST /users/{{ .v }}/delete` with v `..` went to `POST /delete`. Such an
    /// item fails for good now, and nothing is sent for it.
    @Test func aDotSegmentFromTheItemFailsItAndSendsNothing() async throws {
        let server = try TestHTTPServer.start { request in .json(#"{"path": "\#(request.path)"}"#) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            var config = HTTPStageConfig(url: server.baseURL + "/users/{{ .v }}/delete")
            config.method = "POST"
            let values = ["..", ".", "x", "...", "a.b"]
            let pipeline = Pipeline(name: "dots", source: EngineFixture.items(values.count) { .object([("id", .number(Double($0))), ("v", .string(values[$0 - 1]))]) },
                                    stages: [Stage(name: "fetch", transform: try HTTPTransform(config: config), retry: EngineFixture.fastRetry(3))])
            let report = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(report.stage("fetch")?.done == 3)
            #expect(report.stage("fetch")?.failed == 2)
            #expect(Set(server.requests.map(\.path)) == ["/users/x/delete", "/users/.../delete", "/users/a.b/delete"])
            let failed = try conn.query("SELECT key, attempt, last_error FROM baton.items WHERE state = 'failed' ORDER BY key").rows
                .map { (try $0.decode(String.self, 0), try $0.decode(Int.self, 1), try $0.decode(String.self, 2)) }
            #expect(failed.map(\.0) == ["1", "2"] && failed.allSatisfy { $0.1 == 1 }, "\(failed)")
            #expect(failed.first?.2.contains("the URL's path gets the segment `..` from the item's values") == true, "\(failed)")
        }
    }

    /// A stop (Ctrl-C) let every claimed item's request go out: up to a batch of 256 per
    /// worker, minutes of draining against a slow server. Now the requests running finish and
    /// are committed, the others are not sent and go back untouched (no attempt used); the
    /// resumed run sends each of them once.
    @Test func aStopStartsNoNewRequestAndTheResumeSendsEachOnce() async throws {
        let server = try TestHTTPServer.start { request in
            Thread.sleep(forTimeInterval: 0.2)
            return .json(#"{"n": "\#(request.path)"}"#)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let pipeline = Pipeline(name: "stop", source: EngineFixture.items(120), stages: [
                Stage(name: "fetch", transform: try HTTPTransform(config: HTTPStageConfig(url: server.baseURL + "/things/{{ .id }}")),
                      retry: EngineFixture.fastRetry(3), concurrency: 4),
            ])
            let controller = RunController()
            let task = Task { try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options(), controller: controller) }
            // Stop once requests flow (a wall-clock check here failed on a loaded machine).
            while server.requestCount < 4 { try await Task.sleep(for: .milliseconds(20)) }
            controller.requestStop(.interrupt)
            let atStop = server.requestCount
            let first = try await task.value
            let sent = server.requestCount
            // Only the requests already being sent at the stop (4 at a time) may arrive after it;
            // draining all 120 would have sent them all.
            #expect(sent <= atStop + 4, "\(sent) sent, \(atStop) at the stop")
            let done = first.stage("fetch")?.done ?? -1
            #expect(done == sent, "every request sent is committed: \(done) of \(sent)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending'") == 120 - sent)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts") == 0, "no attempt used")
            let second = try await RunEngine.run(pipeline, database: db.config, runName: "r", options: EngineFixture.options())
            #expect(second.run.state == .succeeded)
            #expect(second.stage("fetch")?.done == 120)
            #expect(server.requestCount == 120, "each item's request sent once in all: \(server.requestCount)")
        }
    }

    /// An answer with no JSON in it stands for null, whether empty or only whitespace (a
    /// whitespace-only body failed the item as "not JSON" while an empty one was null).
    @Test(arguments: ["", " \r\n\t "])
    func aBlankAnswerIsNull(_ body: String) async throws {
        let server = try TestHTTPServer.start { _ in .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8)) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server) { $0.into = "remote" }
            #expect(report.run.state == .succeeded)
            #expect(try conn.query("SELECT payload::text FROM baton.results").rows.map { try $0.decode(String.self, 0) } == [#"{"id": 1, "remote": null}"#])
        }
    }

    @Test func a404FailsAfterOneAttempt() async throws {
        let server = try TestHTTPServer.start { _ in .text("no such thing", status: 404) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server)
            #expect(report.stage("fetch")?.failed == 1)
            #expect(server.requestCount == 1)
            let failed = try failure(conn)
            #expect(failed.attempt == 1)
            #expect(failed.errorClass == "http 404")
            #expect(failed.error.contains("GET \(server.baseURL)/things/1: http 404 (no such thing)"))
            #expect(failed.error.hasPrefix("fetch 1: "))
        }
    }

    @Test func a500ThenA200IsRetriedAndDone() async throws {
        let calls = Box(0)
        let server = try TestHTTPServer.start { _ in
            calls.withLock { $0 += 1; return $0 } == 1 ? .text("oops", status: 500) : .json(#"{"ok": true}"#)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server)
            #expect(report.run.state == .succeeded)
            #expect(report.stage("fetch")?.retried == 1)
            #expect(try conn.query("SELECT attempt FROM baton.items").rows[0].decode(Int.self, 0) == 2)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts WHERE error_class = 'http 500'") == 1)
        }
    }

    @Test func retryAfterMovesTheNextAttempt() async throws {
        let server = try TestHTTPServer.start { _ in .text("slow down", status: 429, headers: [("Retry-After", "2")]) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            var config = HTTPStageConfig(url: server.baseURL + "/x/{{ .id }}")
            config.timeout = .seconds(2)
            let pipeline = Pipeline(name: "http", source: EngineFixture.items(1), stages: [
                Stage(name: "fetch", transform: try HTTPTransform(config: config), retry: Self.backoff(upTo: .seconds(10))),
            ])
            let (delay, _) = try await EngineFixture.firstRetryDelay(pipeline, db)
            // The policy alone would retry after 5 ms; the server asked for 2 s.
            #expect(delay == 2)
            #expect(try conn.query("SELECT error_class FROM baton.attempts").rows[0].decode(String.self, 0) == "http 429")
        }
    }

    /// A server asking for an hour does not hold the item (and its run) an hour: `Retry-After`
    /// is honoured up to the retry policy's `max`, the bound of every delay.
    @Test func aRetryAfterPastTheRetryMaxWaitsTheMax() async throws {
        let server = try TestHTTPServer.start { _ in .text("come back tomorrow", status: 429, headers: [("Retry-After", "3600")]) }
        try await TestDatabase.with { db in
            let pipeline = Pipeline(name: "http", source: EngineFixture.items(1), stages: [
                Stage(name: "fetch", transform: try HTTPTransform(config: HTTPStageConfig(url: server.baseURL + "/x/{{ .id }}")),
                      retry: Self.backoff(upTo: .seconds(3))),
            ])
            let (delay, _) = try await EngineFixture.firstRetryDelay(pipeline, db)
            #expect(delay == 3)
        }
    }

    /// Retries after 5 ms, any delay bounded by `max`.
    static func backoff(upTo max: Duration) -> RetryPolicy {
        RetryPolicy(maxAttempts: 3, backoff: .fixed, initial: .milliseconds(5), max: max, jitter: 0)
    }

    @Test func aHangPastTheTimeoutIsATransientFailure() async throws {
        let server = try TestHTTPServer.start { _ in .hang(.seconds(60)) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let start = ContinuousClock.now
            let report = try await run(db, server: server, retry: EngineFixture.fastRetry(2)) { $0.timeout = .milliseconds(300) }
            #expect(ContinuousClock.now - start < .seconds(40))  // two attempts, far below 2 × 60 s
            #expect(report.stage("fetch")?.failed == 1)
            #expect(report.stage("fetch")?.retried == 1)
            let failed = try failure(conn)
            #expect(failed.attempt == 2)
            #expect(failed.errorClass == "http timeout")
        }
    }

    @Test func aResetConnectionIsRetried() async throws {
        let calls = Box(0)
        let server = try TestHTTPServer.start { _ in
            calls.withLock { $0 += 1; return $0 } == 1 ? .reset : .json("[1, 2]")
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server)
            #expect(report.run.state == .succeeded)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.attempts WHERE error_class = 'http connectionReset'") == 1)
            #expect(try conn.query("SELECT payload::text FROM baton.results").rows[0].decode(String.self, 0) == "[1, 2]")
        }
    }

    @Test func aTwentyMebibyteBodyIsAPermanentFailure() async throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 20 << 20)
        let server = try TestHTTPServer.start { _ in .respond(status: 200, headers: [], body: big) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server) { $0.timeout = .seconds(10) }
            #expect(report.stage("fetch")?.failed == 1)
            let failed = try failure(conn)
            #expect(failed.attempt == 1)
            #expect(failed.errorClass == "http tooLarge")
        }
    }

    @Test func aRedirectToANonHTTPSchemeIsRefused() async throws {
        let server = try TestHTTPServer.start { _ in .redirect(to: "file:///etc/passwd") }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server)
            #expect(report.stage("fetch")?.failed == 1)
            let failed = try failure(conn)
            #expect(failed.attempt == 1)
            #expect(failed.errorClass == "http protocolRefused")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 0)
        }
    }

    @Test func aGzipBodyIsDecoded() async throws {
        let compressed = try gzip(Array(#"{"zipped": true}"#.utf8))
        let server = try TestHTTPServer.start { _ in
            .respond(status: 200, headers: [("Content-Encoding", "gzip"), ("Content-Type", "application/json")], body: compressed)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server)
            #expect(report.run.state == .succeeded)
            #expect(try conn.query("SELECT payload::text FROM baton.results").rows[0].decode(String.self, 0) == #"{"zipped": true}"#)
        }
    }

    @Test func aPOSTSendsTheSameIdempotencyKeyOnEveryRetry() async throws {
        let calls = Box(0)
        let server = try TestHTTPServer.start { _ in
            calls.withLock { $0 += 1; return $0 } <= 2 ? .status(503) : .json(#"{"created": true}"#, status: 201)
        }
        try await TestDatabase.with { db in
            let report = try await run(db, server: server, retry: EngineFixture.fastRetry(5)) { config in
                config.method = "POST"
                config.body = .json(program: "{name: (\"n\" + (.id | tostring))}")
            }
            #expect(report.run.state == .succeeded)
            let requests = server.requests
            #expect(requests.count == 3)
            let keys = Set(requests.compactMap { $0.header("Idempotency-Key") })
            #expect(keys.count == 1)
            #expect(keys.first?.hasPrefix("baton-") == true)
            #expect(requests.allSatisfy { $0.bodyString == #"{"name":"n1"}"# })
            #expect(requests.allSatisfy { $0.header("Content-Type") == "application/json" })
        }
    }

    @Test func successOnTreatsA409AsDone() async throws {
        let server = try TestHTTPServer.start { _ in .json(#"{"error": "exists"}"#, status: 409) }
        try await TestDatabase.with { db in
            let report = try await run(db, server: server) { config in
                config.method = "PUT"
                config.successOn = HTTPStageConfig.StatusSet([409...409])
            }
            #expect(report.run.state == .succeeded)
        }
    }

    @Test func queryParametersAreEncodedAndRedactedInErrors() async throws {
        let server = try TestHTTPServer.start { _ in .status(400) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            _ = try await run(db, server: server) { config in
                config.url = server.baseURL + "/search"
                config.query = [(name: "q", value: "a b/{{ .id }}"), (name: "token", value: "sk-very-secret")]
                config.redact = ["token"]
            }
            #expect(server.requests.first?.query == "q=a%20b%2F1&token=sk-very-secret")
            let failed = try failure(conn)
            #expect(failed.error.contains("token=***"))
            #expect(!failed.error.contains("sk-very-secret"))
        }
    }

    @Test func aFailureBudgetStopsTheStageInsteadOfBurningEveryItem() async throws {
        let server = try TestHTTPServer.start { _ in .status(503) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let error = try await #require(throws: BatonError.self) {
                _ = try await run(db, server: server, items: 200, retry: EngineFixture.fastRetry(3), concurrency: 1) { config in
                    config.failureBudget = 5
                }
            }
            #expect(error.category == .unavailable)
            #expect(error.message.contains("stopped after 5 consecutive failed requests"))
            // Far fewer requests than 200 items × 3 attempts, and no item used up its attempts.
            #expect(server.requestCount < 60)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'failed'") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'running'") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending'") == 200, "nothing lost")
        }
    }

    /// A service that goes down in the middle of a batch: when the budget runs out, what
    /// succeeded is committed and the items not sent go back untouched (none is marked done
    /// unsent, none answered twice), and a resume once it is back finishes every item.
    @Test func aStageHaltedInTheMiddleOfABatchLosesNoItemAndAResumeFinishesThemAll() async throws {
        let served = Box(0)
        let healthy = Box(false)
        let answered = Box([String: Int]())
        let server = try TestHTTPServer.start { request in
            let n = served.withLock { $0 += 1; return $0 }
            guard n <= 70 || healthy.withLock({ $0 }) else { return .status(503) }
            answered.withLock { $0[request.path, default: 0] += 1 }
            return .json(#"{"path": "\#(request.path)"}"#)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let error = try await #require(throws: BatonError.self) {
                _ = try await run(db, server: server, items: 200, retry: EngineFixture.fastRetry(3), concurrency: 4) { config in
                    config.failureBudget = 5
                    config.into = "got"
                }
            }
            #expect(error.message.contains("stopped after 5 consecutive failed requests"))
            let done = try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'done'")
            let pending = try EngineFixture.count(conn, "SELECT count(*) FROM baton.items WHERE state = 'pending'")
            #expect(done + pending == 200, "every item is done or waits: \(done) done, \(pending) pending")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == done)
            healthy.withLock { $0 = true }
            let report = try await run(db, server: server, items: 200, concurrency: 4) { config in
                config.failureBudget = 5
                config.into = "got"
            }
            #expect(report.run.state == .succeeded)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT key) FROM baton.results WHERE payload ? 'got'") == 200)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 200)
            // What succeeded before the halt was committed, not asked for again.
            let twice = answered.withLock { $0.filter { $0.value > 1 } }
            #expect(answered.withLock { $0.count } == 200 && twice.isEmpty, "answered twice: \(twice.keys.sorted())")
        }
    }

    @Test func aRateLimitSpacesRequestsToOneHost() async throws {
        let server = try TestHTTPServer.start { _ in .json("{}") }
        try await TestDatabase.with { db in
            let start = ContinuousClock.now
            let report = try await run(db, server: server, items: 21, concurrency: 8) { $0.rate = 20 }
            #expect(report.run.state == .succeeded)
            // 21 requests at 20/s need at least one second.
            #expect(ContinuousClock.now - start >= .seconds(1))
        }
    }

    /// Workers hand the stage whole batches; the stage's `concurrency` still caps the requests
    /// in flight across all of them (two workers, five batches of 256, concurrency 5).
    @Test func theStagesConcurrencyCapsRequestsInFlightAcrossWorkersAndBatches() async throws {
        let inFlight = Box((now: 0, most: 0))
        let server = try TestHTTPServer.start { request in
            inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            Thread.sleep(forTimeInterval: 0.01)
            inFlight.withLock { $0.now -= 1 }
            return .json(#"{"n": "\#(request.path)"}"#)
        }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server, items: 1200, concurrency: 5) { $0.into = "got" }
            #expect(report.run.state == .succeeded)
            #expect(report.stage("fetch")?.done == 1200)
            #expect(server.requestCount == 1200)
            let most = inFlight.withLock { $0.most }
            #expect(most <= 5, "at most the stage's concurrency at once: \(most)")
            #expect(most >= 2, "requests do run side by side: \(most)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results WHERE payload->'got'->>'n' = '/things/' || (payload->>'id')") == 1200)
        }
    }

    @Test func tenThousandItemsAtConcurrency64ReuseConnections() async throws {
        let server = try TestHTTPServer.start { request in .json(#"{"n": "\#(request.path)"}"#) }
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let report = try await run(db, server: server, items: 10_000, concurrency: 64) { $0.timeout = .seconds(10) }
            #expect(report.run.state == .succeeded)
            #expect(report.stage("fetch")?.done == 10_000)
            #expect(server.requestCount == 10_000)
            #expect(server.connectionCount <= 128)
            #expect(server.connectionCount * 50 < server.requestCount)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.results") == 10_000)
        }
    }
}
