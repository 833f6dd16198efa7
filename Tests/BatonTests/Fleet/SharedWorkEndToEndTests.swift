import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `baton work` shares every running run (issue 14): two runs of different pipelines,
/// worked by two `baton work` processes, both progress from the start and both end exact.
@Suite("baton work shares every running run (end to end)", .serialized)
struct SharedWorkEndToEndTests {
    static let items = 1_500

    /// Pipeline `name`: `items` records, each inserted into `out_NAME` by stage `stage` after
    /// `nap` seconds of `pg_sleep`; `backlog` (if set) holds seeding back.
    static func pipeline(_ ws: Workspace, name: String, items: Int = Self.items, stage: String = "nap", nap: Double = 0.004,
                         batchSize: Int = 10, backlog: Int? = nil) throws -> String {
        try ws.writeIDs(name, count: items)
        return try ws.write("\(name).yaml", """
            pipeline: \(name)
            setup: CREATE TABLE IF NOT EXISTS out_\(name) (id int NOT NULL)
            \(backlog.map { "defaults:\n  backlog: \($0)" } ?? "")
            source:
              jsonl: \(ws.url.path)/fixtures/\(name).jsonl
              key: .id
            stages:
              - name: \(stage)
                sql: insert into out_\(name) (id) select :id::int from pg_sleep(\(nap))
                batch_size: \(batchSize)
            """)
    }

    @Test func twoRunsOfDifferentPipelinesBothProgressFromTheStartAndEndExact() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            // Two runs, started and interrupted early (left running for `baton work`).
            for name in ["alpha", "beta"] {
                let file = try Self.pipeline(ws, name: name)
                let process = try BatonProcess.start(["run", file, "--run", name, "--workers", "2", "--progress", "none"], database: db)
                let sent = await Ops.signal(process, SIGINT, database: db, when: "SELECT count(*) FROM out_\(name)", reaches: 20)
                let output = try await process.wait(timeout: .seconds(120))
                #expect(sent && output.status == 130, "\(output)")
            }
            let before = try ["alpha", "beta"].map { try Ops.count(conn, "SELECT count(*) FROM out_\($0)") }
            #expect(before.allSatisfy { $0 < Self.items }, "\(before)")

            let workers = try (1...2).map { _ in
                try BatonProcess.start(["work", "--workers", "2", "--poll", "0.2", "--once", "--progress", "none"], database: db)
            }
            // Until the first run is done, watch both: each must have moved on by then.
            var progressed = [false, false]
            let deadline = ContinuousClock.now + .seconds(240)
            while ContinuousClock.now < deadline {
                let counts = try ["alpha", "beta"].map { try Ops.count(conn, "SELECT count(*) FROM out_\($0)") }
                for index in 0..<2 where counts[index] > before[index] { progressed[index] = true }
                let states = try ["alpha", "beta"].map { try Ops.runState(conn, $0) }
                if states.contains(where: { $0 != "running" }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(progressed == [true, true], "both runs progressed before either ended: \(progressed)")
            for worker in workers {
                let output = try await worker.wait(timeout: .seconds(240))
                #expect(output.status == 0, "\(output)")
            }
            for name in ["alpha", "beta"] {
                #expect(try Ops.runState(conn, name) == "succeeded")
                #expect(try Ops.count(conn, "SELECT count(*) FROM out_\(name)") == Self.items, "\(name): every item once")
                #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM out_\(name)") == Self.items)
            }
        }
    }
}
