import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Progress uses the source's real size, estimates the whole run, shows the pre-check, and
/// leaves nothing stale behind on Ctrl-C (issue 10, point 8).
@Suite("Progress with the known total (end to end)", .serialized)
struct ProgressOperationsTests {
    static let escape = "\u{1B}"

    @Test func whileSeedingTheFirstStagesTotalIsTheSourcesCountAndTheTitleHasARunETA() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.writeIDs("n", count: 12_000)
            // A small backlog: seeding goes in steps, paced by the stage.
            let file = try ws.write("paced.yaml", """
                pipeline: paced
                defaults: { backlog: 300 }
                source:
                  jsonl: fixtures/n.jsonl
                  key: .id
                stages:
                  - name: shape
                    jq: 'if .id % 1000 == 0 then empty else {id} end'
                    batch_size: 100
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "paced", "--workers", "1", "--progress", "tty"],
                                                 database: db, directory: ws.url)
            #expect(run.status == 0, "\(run)")
            let screen = run.stderr
            #expect(screen.firstMatch(of: try Regex(#"run paced · seeding \d+/12000 · \d+s"#)) != nil, "\(screen.debugDescription.prefix(2000))")
            #expect(screen.firstMatch(of: try Regex(#"\u{1B}\[2Kshape\s+\d+/12000\s"#)) != nil, "first stage total = source count: \(screen.debugDescription.prefix(2000))")
            #expect(screen.contains(" · ETA "), "a whole-run ETA in the title: \(screen.debugDescription.prefix(2000))")
            // Skipped items have their own column, as in the summary.
            #expect(screen.firstMatch(of: try Regex(#"stage\s+done/total\s+skipped\s+failed"#)) != nil, "\(screen.debugDescription.suffix(1000))")
            let summary = Ops.stageTable(run.stdout)
            #expect(summary["shape"]?["done"] == "11988" && summary["shape"]?["skipped"] == "12", "\(run.stdout)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT source_total FROM baton.runs") == ["12000"])
            let status = try await BatonProcess.run(["status", "paced", "--json"], database: db)
            #expect(Ops.int((try Ops.json(status.stdout)["run"] as? [String: Any])?["source_total"]) == 12_000, "\(status)")
        }
    }

    @Test func theLongPreCheckIsShownAndCtrlCDuringItCreatesNothing() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let line = #"{"id": 1, "name": "a name long enough to take the parser some time", "tags": ["x", "y", "z"], "n": 12345.678}"#
            try ws.write("fixtures/big.jsonl", String(repeating: line + "\n", count: 400_000))
            let file = try ws.write("big.yaml", """
                pipeline: big
                source:
                  jsonl: fixtures/big.jsonl
                stages:
                  - name: pass
                    jq: .
                """)
            let process = try BatonProcess.start(["run", file, "--progress", "tty"], database: db, directory: ws.url)
            // Ctrl-C as soon as the check shows (it reads 400 000 lines: it is still going).
            let stderr = process.stderrPath
            let sent = await Ops.signal(process, SIGINT) {
                ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "").contains("checking ")
            }
            #expect(sent)
            let output = try await process.wait()
            #expect(output.status == 130, "\(output)")
            #expect(output.stderr.contains("checking \(ws.url.path)/fixtures/big.jsonl… "), "\(output.stderr.debugDescription.prefix(600))")
            #expect(output.stderr.firstMatch(of: try Regex(#"checking .*big\.jsonl… \d+ records \(\d+s\)"#)) != nil, "\(output)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0, "interrupted before the run was created")
        }
    }

    @Test func ctrlCOnATerminalErasesTheProgressBlockBeforeTheNotice() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws)
            let process = try BatonProcess.start(["run", file, "--run", "tty", "--workers", "2", "--progress", "tty"], database: db)
            // Long enough for the block to be drawn (every 500 ms).
            #expect(await Ops.signal(process, SIGINT, database: db, when: "SELECT count(*) FROM slow_out", reaches: 600))
            let output = try await process.wait()
            #expect(output.status == 130, "\(output)")
            let stderr = output.stderr
            let notice = try #require(stderr.range(of: "baton: stopping: no new items are claimed"), "\(stderr.debugDescription)")
            // The block on the screen was blanked and the cursor put back over it first.
            let before = String(stderr[..<notice.lowerBound])
            #expect(before.contains("\(Self.escape)[2Krun tty · seeded 2000"), "\(before.debugDescription.suffix(300))")
            #expect(before.hasSuffix("\(Self.escape)[3A\(Self.escape)[2K\n\(Self.escape)[2K\n\(Self.escape)[2K\n\(Self.escape)[3A"), "\(before.debugDescription.suffix(300))")
            // A block drawn again after the notice is cleared at the end too.
            let after = stderr[notice.upperBound...]
            let clearedAtTheEnd = stderr.firstMatch(of: try Regex(#"\u{1B}\[\d+A$"#)) != nil
            #expect(!after.contains("\(Self.escape)[2Krun tty") || clearedAtTheEnd, "\(stderr.debugDescription.suffix(200))")
        }
    }
}
