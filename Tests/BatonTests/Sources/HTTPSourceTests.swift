import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `source: http:` against a paginated API the tests serve: every paginator, a run stopped
/// mid-pagination, `Retry-After`, loops, incremental requests.
@Suite("HTTP sources (end to end)")
struct HTTPSourceTests {
    struct Paginator: Sendable, CustomTestStringConvertible {
        var path: String
        var records: String
        var paginate: String
        /// What each request asked for, in order.
        var asked: @Sendable ([String: String]) -> String
        var expected: [String]
        var testDescription: String { path }
    }

    static let paginators: [Paginator] = [
        Paginator(path: "/next", records: ".data", paginate: "{ next_url: .links.next }",
                  asked: { $0["page"] ?? "1" }, expected: ["1", "2", "3", "4", "5"]),
        Paginator(path: "/link", records: ".", paginate: "{ link_header: true }",
                  asked: { $0["page"] ?? "1" }, expected: ["1", "2", "3", "4", "5"]),
        Paginator(path: "/offset", records: ".items", paginate: "{ offset: offset, limit: 10 }",
                  asked: { "\($0["offset"] ?? "-")/\($0["limit"] ?? "-")" }, expected: ["0/10", "10/10", "20/10", "30/10", "40/10"]),
        Paginator(path: "/page", records: ".results", paginate: "{ page: page, has_more: .has_more }",
                  asked: { $0["page"] ?? "-" }, expected: ["1", "2", "3", "4", "5"]),
        Paginator(path: "/cursor", records: ".items", paginate: "{ cursor: .meta.next_cursor }",
                  asked: { $0["cursor"] ?? "first" }, expected: ["first", "tok10", "tok20", "tok30", "tok40"]),
    ]

    /// A pipeline loading the source's records into `got` (no unique constraint: a duplicate
    /// shows as a second row).
    static func pipeline(_ ws: Workspace, url: String, records: String, paginate: String, source extra: String = "",
                         query: String? = nil) throws -> String {
        try ws.write("api.yaml", """
            pipeline: api
            setup: CREATE TABLE IF NOT EXISTS got (id int, updated_at text, run text)
            source:
              http:
                url: "\(url)"
                \(query.map { "query: \($0)" } ?? "")
                records: '\(records)'
                paginate: \(paginate)
              key: .id
              \(extra)
            stages:
              - name: load
                sql: insert into got (id, updated_at, run) values (:id, :updated_at, :_run)
            """)
    }

    @Test("each paginator fetches every page once and yields every record", arguments: paginators)
    func eachPaginatorYieldsEveryRecordOnce(_ paginator: Paginator) async throws {
        let api = try PagedAPI(count: 43)
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + paginator.path, records: paginator.records, paginate: paginator.paginate)
        try await TestDatabase.with { db in
            let output = try await SourceRun.run(file, db, run: "r1")
            #expect(output.status == 0, "\(output)")
            #expect(try SourceRun.done(output) == 43)
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got") == 43)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM got") == 43)
            #expect(api.requests(paginator.path).map(paginator.asked) == paginator.expected)
        }
    }

    @Test("stopped while page 3 is in flight, the rerun fetches exactly pages 3 to 5", arguments: [SIGKILL, SIGINT])
    func aStoppedRunResumesAtTheFirstPageNotCommitted(signal: Int32) async throws {
        let api = try PagedAPI(count: 43)
        let hold = TestHTTPServer.LockedBox(true)
        api.intercept.withLock { $0 = { _, query in hold.value && query["page"] == "3" ? .hang(.seconds(60)) : nil } }
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + "/next", records: ".data", paginate: "{ next_url: .links.next }")
        try await TestDatabase.with { db in
            let process = try BatonProcess.start(["run", file, "--run", "r1", "--progress", "none"], database: db)
            let conn = try db.connect()
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let seeded = (try? conn.query("SELECT seeded FROM baton.runs").rows.first?.decode(Int.self, 0)) ?? 0
                if seeded == 20 && api.requests("/next").contains(where: { $0["page"] == "3" }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(api.requests("/next").map { $0["page"] ?? "1" } == ["1", "2", "3"])
            let stopped = ContinuousClock.now
            process.signal(signal)
            let first = try await process.wait()
            if signal == SIGINT {
                #expect(first.status == 130, "\(first)")
                #expect(ContinuousClock.now - stopped < .seconds(30))  // well before the 60 s hang: the request was given up
            }
            // Pages 1 and 2 are committed with the state of page 3; nothing of page 3.
            #expect(try EngineFixture.count(conn, "SELECT seeded::int FROM baton.runs") == 20)

            hold.withLock { $0 = false }
            let before = api.server.requestCount
            let rerun = try await BatonProcess.run(["run", file, "--run", "r1", "--progress", "none"], database: db)
            #expect(rerun.status == 0, "\(rerun)")
            let fetched = api.server.requests.dropFirst(before).filter { $0.path == "/next" }.map { PagedAPI.query($0)["page"] ?? "1" }
            #expect(fetched == ["3", "4", "5"])
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got") == 43)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT id) FROM got") == 43)
        }
    }

    @Test func a429WithRetryAfterMidPaginationIsHonoured() async throws {
        let api = try PagedAPI(count: 43)
        let hits = TestHTTPServer.LockedBox<[ContinuousClock.Instant]>([])
        api.intercept.withLock {
            $0 = { _, query in
                guard query["page"] == "2" else { return nil }
                let count = hits.withLock { $0.append(.now); return $0.count }
                return count == 1 ? .json(#"{"error": "slow down"}"#, status: 429, headers: [("Retry-After", "1")]) : nil
            }
        }
        let ws = try Workspace()
        defer { ws.remove() }
        // The source's own backoff is 10 ms: only Retry-After explains a pause of a second
        // (it is honoured up to the policy's `max`).
        let file = try Self.pipeline(ws, url: api.baseURL + "/next", records: ".data", paginate: "{ next_url: .links.next }",
                                     source: "retry: { max_attempts: 3, initial: 10ms, max: 5s, jitter: 0 }")
        try await TestDatabase.with { db in
            let output = try await SourceRun.run(file, db, run: "r1")
            #expect(output.status == 0, "\(output)")
            #expect(try SourceRun.done(output) == 43)
            #expect(api.requests("/next").map { $0["page"] ?? "1" } == ["1", "2", "2", "3", "4", "5"])
            let times = hits.value
            try #require(times.count == 2)
            #expect(times[1] - times[0] >= .milliseconds(950))
            #expect(try EngineFixture.count(try db.connect(), "SELECT count(*) FROM got") == 43)
        }
    }

    @Test func aNextURLThatRepeatsStopsWithAClearError() async throws {
        let api = try PagedAPI(count: 43)
        api.intercept.withLock {
            $0 = { request, query in
                guard request.path == "/next" else { return nil }
                let page = Int(query["page"] ?? "1") ?? 1
                return .json(#"{"data": [{"id": \#(page), "updated_at": "x"}], "links": {"next": "/next?page=2"}}"#)
            }
        }
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + "/next", records: ".data", paginate: "{ next_url: .links.next }")
        try await TestDatabase.with { db in
            let output = try await SourceRun.run(file, db, run: "r1")
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("the paginator would loop: page 3 is GET \(api.baseURL)/next?page=2"), "\(output)")
            // The repeated request is never sent.
            #expect(api.requests("/next").map { $0["page"] ?? "1" } == ["1", "2"])
        }
    }

    @Test func aServerIgnoringThePageParameterStopsInsteadOfLooping() async throws {
        let api = try PagedAPI(count: 43)
        api.intercept.withLock {
            $0 = { request, _ in
                request.path == "/page" ? .json(#"{"results": [{"id": 1, "updated_at": "x"}], "has_more": true}"#) : nil
            }
        }
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + "/page", records: ".results", paginate: "{ page: page, has_more: .has_more }")
        try await TestDatabase.with { db in
            let output = try await SourceRun.run(file, db, run: "r1")
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("returned the same records as the page before it"), "\(output)")
            #expect(api.requests("/page").count == 2)
        }
    }

    @Test(arguments: [(404, "http 404 (gone)"), (503, "http 503 (gone) (after 3 attempts)")])
    func aPageThatKeepsFailingStopsTheRunWithThePagesBeforeItSeeded(status: Int, expected: String) async throws {
        let api = try PagedAPI(count: 43)
        api.intercept.withLock { $0 = { _, query in query["page"] == "2" ? .text("gone", status: status) : nil } }
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + "/next", records: ".data", paginate: "{ next_url: .links.next }",
                                     source: "retry: { max_attempts: 3, initial: 10ms, max: 10ms }")
        try await TestDatabase.with { db in
            let output = try await BatonProcess.run(["run", file, "--run", "r1", "--progress", "none"], database: db)
            #expect(output.status == 69, "\(output)")
            #expect(output.stderr.contains("source: page 2: GET \(api.baseURL)/next?page=2: \(expected)"), "\(output)")
            // A 404 is not retried; a 503 is, up to the source's attempts.
            #expect(api.requests("/next").count == (status == 404 ? 2 : 4))
            #expect(try EngineFixture.count(try db.connect(), "SELECT seeded::int FROM baton.runs") == 10)
        }
    }

    @Test func maxPagesCapsARun() async throws {
        let api = try PagedAPI(count: 43)
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + "/cursor", records: ".items", paginate: "{ cursor: .meta.next_cursor, max_pages: 2 }")
        try await TestDatabase.with { db in
            let output = try await SourceRun.run(file, db, run: "r1")
            #expect(output.status == 0, "\(output)")
            #expect(try SourceRun.done(output) == 20)
            #expect(api.requests("/cursor").count == 2)
        }
    }

    @Test func anIncrementalHTTPSourceAsksOnlyForWhatIsNewer() async throws {
        let api = try PagedAPI(count: 43)
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: api.baseURL + "/next", records: ".data", paginate: "{ next_url: .links.next }",
                                     source: #"incremental: { cursor: .updated_at, initial: "2026-01-01T00:00:00Z" }"#,
                                     query: #"{ since: "{{ $cursor }}" }"#)
        try await TestDatabase.with { db in
            let first = try await SourceRun.run(file, db, run: "r1")
            #expect(first.status == 0, "\(first)")
            #expect(try SourceRun.done(first) == 43)
            #expect(api.requests("/next").first?["since"] == "2026-01-01T00:00:00Z")
            let show = try await BatonProcess.run(["cursor", "show", file], database: db)
            #expect(show.stdout.contains("cursor     2026-01-01T00:43:00Z (timestamp)"), "\(show)")

            api.records.withLock { records in
                for id in 44...48 { records.append(PagedAPI.Record(id: id, updatedAt: PagedAPI.time(minute: id))) }
            }
            let before = api.server.requestCount
            let second = try await SourceRun.run(file, db, run: "r2")
            #expect(second.status == 0, "\(second)")
            let asked = api.server.requests.dropFirst(before).map(PagedAPI.query)
            #expect(asked.map { $0["since"] } == ["2026-01-01T00:43:00Z"])
            // 43 is read again (`since` is inclusive) and recognised: same key, same cursor.
            #expect(try SourceRun.done(second) == 5)
            #expect(try SourceRun.deduplicated(second) == 1)
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got") == 48)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got WHERE run = 'r2'") == 5)
        }
    }
}
