import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The example pipelines in `pipelines/`, run by the built binary from the repository root,
/// checked by the rows they leave.
@Suite("Example pipelines (end to end)")
struct ExamplePipelineTests {
    /// The repository root (pipelines and fixtures use paths relative to it).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private func run(_ pipeline: String, _ db: TestDatabase, run: String, environment: [String: String] = [:]) async throws -> BatonProcess.Output {
        try await BatonProcess.run(["run", "pipelines/\(pipeline).yaml", "--run", run, "--progress", "none"],
                                   database: db, directory: Self.root, environment: environment)
    }

    @Test func ordersLoadOneRowPerOrderAndPerLineWithConsistentTotals() async throws {
        try await TestDatabase.with { db in
            let output = try await run("orders", db, run: "o1")
            #expect(output.status == 0, "\(output)")
            let conn = try db.connect()
            let csvRows = try String(contentsOf: Self.root.appendingPathComponent("fixtures/orders.csv"), encoding: .utf8)
                .split(separator: "\n").count - 1
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM orders") == csvRows)
            #expect(try EngineFixture.count(conn, "SELECT sum(line_count)::int FROM orders") == EngineFixture.count(conn, "SELECT count(*) FROM order_lines"))
            // Every order's total is the sum of its lines; every line's amount is qty × price.
            #expect(try EngineFixture.count(conn, """
                SELECT count(*) FROM orders o
                WHERE o.total <> (SELECT sum(amount) FROM order_lines l WHERE l.order_id = o.order_id)
                """) == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM order_lines WHERE amount <> round(qty * unit_price, 2)") == 0)
            // Emails normalised: trimmed and lower case.
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM orders WHERE email <> lower(trim(email))") == 0)
            #expect(try conn.query("SELECT email FROM orders WHERE order_id = 1007").rows[0].decode(String.self, 0) == "ken.thompson@example.com")

            // A second run of the same file upserts: same rows, nothing doubled.
            let again = try await run("orders", db, run: "o2")
            #expect(again.status == 0, "\(again)")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM orders") == csvRows)
        }
    }

    @Test func eventsAreCountedExactlyOnceEvenWhenTheFileIsRunTwice() async throws {
        try await TestDatabase.with { db in
            // The expectation, computed independently from the fixture.
            let text = try String(contentsOf: Self.root.appendingPathComponent("fixtures/events.jsonl"), encoding: .utf8)
            var seen = Set<String>()
            var views = 0, purchases = 0
            var revenue = 0.0
            for line in text.split(separator: "\n") {
                let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let id = try #require(event["event_id"] as? String)
                guard seen.insert(id).inserted else { continue }
                switch event["type"] as? String {
                case "page_view": views += 1
                case "purchase": purchases += 1; revenue += event["amount"] as? Double ?? 0
                default: break
                }
            }
            let first = try await BatonProcess.run(["run", "pipelines/events.yaml", "--run", "e1", "--json", "--progress", "none"],
                                                   database: db, directory: Self.root)
            #expect(first.status == 0, "\(first)")
            let lines = text.split(separator: "\n").count
            let conn = try db.connect()
            func totals() throws -> (Int, Int, Double) {
                let row = try conn.query("SELECT sum(page_views)::int, sum(purchases)::int, sum(revenue)::float8 FROM daily_activity").rows[0]
                return (try row.decode(Int.self, 0), try row.decode(Int.self, 1), try row.decode(Double.self, 2))
            }
            let after = try totals()
            #expect(after.0 == views)
            #expect(after.1 == purchases)
            #expect(abs(after.2 - revenue) < 0.01)
            // Duplicate deliveries in the file were dropped when seeding, and counted.
            let firstSummary = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
            let firstStages = try #require(firstSummary["stages"] as? [[String: Any]])
            #expect(firstStages.first?["deduplicated"] as? Int == lines - seen.count)

            // Same file again within the dedupe window: everything is skipped as a duplicate.
            let second = try await BatonProcess.run(["run", "pipelines/events.yaml", "--run", "e2", "--json", "--progress", "none"],
                                                    database: db, directory: Self.root)
            #expect(second.status == 0, "\(second)")
            let again = try totals()
            #expect(again.0 == views && again.1 == purchases)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
            let stages = try #require(summary["stages"] as? [[String: Any]])
            #expect(stages.first?["deduplicated"] as? Int == lines)
            #expect(stages.first?["done"] as? Int == 0)
        }
    }

    @Test func reposAreFetchedOverHTTPAndTheTokenNeverAppearsInOutput() async throws {
        let secret = "sk-live-SECRET-4f9a1c"
        let server = try TestHTTPServer.start { request in
            let parts = request.path.split(separator: "/")
            guard parts.count == 3, parts[0] == "repos" else { return .text("not found", status: 404) }
            guard request.header("Authorization") == "Bearer \(secret)" else { return .text("unauthorized", status: 401) }
            if parts[2] == "jq" { return .text("boom", status: 500) }  // always failing: retried, then failed
            let stars = parts[2].count * 7
            return .json(#"{"full_name": "\#(parts[1])/\#(parts[2])", "stargazers_count": \#(stars), "language": "Swift"}"#)
        }
        try await TestDatabase.with { db in
            let env = ["REPOS_API": server.baseURL, "API_TOKEN": secret]
            let output = try await BatonProcess.run(
                ["run", "pipelines/repos.yaml", "--run", "r1", "--progress", "none", "--log-level", "debug"],
                database: db, directory: Self.root, environment: env)
            #expect(output.status == 1, "\(output)")  // the `jq` repo fails after its retries
            let conn = try db.connect()
            // 12 repos; `jq` fails; the others have name length × 7 stars, > 10 unless the name is 1 character.
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM repos") == 11)
            #expect(try conn.query("SELECT stars FROM repos WHERE full_name = 'apple/swift-nio'").rows[0].decode(Int.self, 0) == 63)
            #expect(try conn.query("SELECT DISTINCT fetched_run FROM repos").rows[0].decode(String.self, 0) == "r1")
            #expect(server.requests.allSatisfy { $0.header("Authorization") == "Bearer \(secret)" })

            // The secret is in no output: run summary, logs, failures, explain, status.
            var everything = output.stdout + output.stderr
            for command in [["failures", "r1"], ["failures", "r1", "--json"], ["explain", "r1", "4"], ["status", "r1", "--json"], ["status"]] {
                let out = try await BatonProcess.run(command, database: db, directory: Self.root, environment: env)
                everything += out.stdout + out.stderr
            }
            #expect(everything.contains("http 500"))
            #expect(!everything.contains(secret))
            #expect(!everything.contains("4f9a1c"))
        }
    }

    @Test func ticketsArePulledPageByPageAndLaterRunsAskOnlyForWhatChanged() async throws {
        let secret = "tok-ticket-9f8e7d"
        let api = try TicketsAPI(token: secret, fixture: Self.root.appendingPathComponent("fixtures/tickets.json"))
        try await TestDatabase.with { db in
            let env = ["TICKETS_API": api.baseURL, "API_TOKEN": secret]
            let first = try await BatonProcess.run(["run", "pipelines/tickets.yaml", "--run", "t1", "--json", "--progress", "none"],
                                                   database: db, directory: Self.root, environment: env)
            #expect(first.status == 0, "\(first)")
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM tickets") == 60)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM tickets WHERE requester <> lower(requester)") == 0)
            // 60 tickets, 25 a page: three pages, all asked with the initial cursor.
            let asked = api.server.requests.map(PagedAPI.query)
            #expect(asked.map { $0["page"] ?? "1" } == ["1", "2", "3"])
            #expect(asked.allSatisfy { $0["since"] == "2026-01-01T00:00:00Z" })
            let show = try await BatonProcess.run(["cursor", "show", "pipelines/tickets.yaml"], database: db, directory: Self.root, environment: env)
            #expect(show.stdout.contains("cursor     2026-03-01T15:00:00Z (timestamp)"), "\(show)")
            #expect(show.stdout.contains("next run   reads from 2026-03-01T14:50:00Z (lookback 10m)"), "\(show)")

            // Ticket 1010 is solved (so updated last), three new ones arrive.
            api.tickets.withLock { tickets in
                if let index = tickets.firstIndex(where: { $0["id"] == "1010" }) {
                    tickets[index]["status"] = "solved"
                    tickets[index]["updated_at"] = "2026-03-01T16:00:00Z"
                }
                for (id, minute) in [(1061, 30), (1062, 40), (1063, 50)] {
                    tickets.append(["id": "\(id)", "subject": "New", "status": "open", "requester": "NEW@example.com",
                                    "updated_at": "2026-03-01T15:\(minute):00Z"])
                }
            }
            let before = api.server.requestCount
            let second = try await BatonProcess.run(["run", "pipelines/tickets.yaml", "--run", "t2", "--json", "--progress", "none"],
                                                    database: db, directory: Self.root, environment: env)
            #expect(second.status == 0, "\(second)")
            #expect(api.server.requests.dropFirst(before).map { PagedAPI.query($0)["since"] } == ["2026-03-01T14:50:00Z"])
            // Read again: 1059 (14:53) and 1060 (15:00), unchanged, skipped; loaded: 1010 and the new three.
            let stages = try #require((try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])?["stages"] as? [[String: Any]])
            #expect(stages.first?["deduplicated"] as? Int == 2)
            #expect(stages.first?["done"] as? Int == 4)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM tickets") == 63)
            #expect(try conn.query("SELECT status FROM tickets WHERE id = 1010").rows[0].decode(String.self, 0) == "solved")
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM tickets WHERE loaded_run = 't2'") == 4)
            #expect(!(first.stdout + first.stderr + second.stdout + second.stderr + show.stdout).contains(secret))
        }
    }

    @Test func readingFilesAreEachReadOnceAndABadLineNamesItsFile() async throws {
        try await TestDatabase.with { db in
            let first = try await run("readings", db, run: "d1")
            #expect(first.status == 1, "\(first)")  // one malformed line, the rest loaded
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM readings") == 72)  // 24 a day
            let failed = try Ops.rows(conn, "SELECT key FROM baton.items WHERE state = 'failed'")
            #expect(failed.count == 1)
            #expect(failed.first?.hasSuffix("/fixtures/readings/2026-03-02.jsonl:line:11") == true, "\(failed)")
            // The gzipped day was read decompressed.
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM readings WHERE at::date = '2026-03-03'") == 24)

            let second = try await BatonProcess.run(["run", "pipelines/readings.yaml", "--run", "d2", "--json", "--progress", "none"],
                                                    database: db, directory: Self.root)
            #expect(second.status == 0, "\(second)")
            let stages = try #require((try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])?["stages"] as? [[String: Any]])
            #expect(stages.first?["done"] as? Int == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.items i JOIN baton.runs r ON r.id = i.run_id WHERE r.name = 'd2'") == 0)
        }
    }
}
