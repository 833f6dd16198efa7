import BatonTestSupport
import Foundation
import Testing

/// `workers:` in a pipeline file: the worker loops every process gives a run of it, unless
/// `--workers` says otherwise.
@Suite("Workers from the pipeline file (end to end)")
struct PipelineWorkersTests {
    /// The worker loops (`/wN` of `leased_by`) that committed batches of run `name`.
    static func loops(_ db: TestDatabase, run name: String) throws -> Set<String> {
        let conn = try db.connect()
        return Set(try Ops.rows(conn, """
            SELECT DISTINCT split_part(b.leased_by, '/', 2) FROM baton.batches b JOIN baton.runs r ON r.id = b.run_id
            WHERE r.name = $1 AND b.leased_by IS NOT NULL
            """, [name]))
    }

    @Test func theFilesWorkersCapEveryRunOfThePipelineAndTheFlagOverridesIt() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let slow = try Ops.slowPipeline(ws, items: 300)
            let file = try ws.write("capped.yaml", "workers: 1\n" + (try String(contentsOfFile: slow, encoding: .utf8)))

            let capped = try await BatonProcess.run(["run", file, "--run", "capped", "--progress", "none"], database: db)
            #expect(capped.status == 0, "\(capped)")
            #expect(try Self.loops(db, run: "capped") == ["w0"])

            let flagged = try await BatonProcess.run(["run", file, "--run", "flagged", "--workers", "3", "--progress", "none"], database: db)
            #expect(flagged.status == 0, "\(flagged)")
            let used = try Self.loops(db, run: "flagged")
            #expect(used.count >= 2 && used.isSubset(of: ["w0", "w1", "w2"]), "\(used)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == 600)

            let zero = try await BatonProcess.run(["validate", try ws.write("zero.yaml", "workers: 0\n" + (try String(contentsOfFile: slow, encoding: .utf8)))],
                                                  database: db)
            #expect(zero.status == 78 && (zero.stdout + zero.stderr).contains("zero.yaml:1:10: workers: expected an integer ≥ 1"), "\(zero)")
        }
    }
}
