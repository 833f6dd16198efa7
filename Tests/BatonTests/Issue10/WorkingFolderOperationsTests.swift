import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Baton does not depend on the folder it is started from: the local cluster is found the
/// way git finds `.git`, and resume, replay and replay --dry-run work from anywhere (issue
/// 10, points 5, 6 and 13).
@Suite("Any working folder (end to end)", .serialized)
struct WorkingFolderOperationsTests {
    @Test func theLocalClusterIsFoundFromSubfoldersAndStatusSaysHowToReachItWithPsql() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        defer { _ = try? BatonProcess.start(["postgres", "stop"], database: nil, directory: ws.url).process.waitUntilExit() }
        let file = try ws.write("one.yaml", """
            pipeline: one
            source: { items: [{id: 1}, {id: 2}], key: .id }
            stages: [{name: pass, jq: .}]
            """)
        let run = try await BatonProcess.run(["run", file, "--run", "first", "--progress", "none"], database: nil, directory: ws.url)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("no database configured: created and started a local Postgres in"), "\(run)")
        #expect(!run.stderr.contains("could not change directory"), "\(run)")

        // From a subfolder: the same cluster, the same run; no second cluster; no notice.
        let deeper = ws.url.appendingPathComponent("sub/deeper")
        try FileManager.default.createDirectory(at: deeper, withIntermediateDirectories: true)
        let status = try await BatonProcess.run(["status"], database: nil, directory: deeper)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("first"), "\(status)")
        #expect(status.stderr.isEmpty, "the notice is only for creating or starting the cluster: \(status)")
        #expect(!FileManager.default.fileExists(atPath: ws.url.appendingPathComponent("sub/.baton").path))
        #expect(!FileManager.default.fileExists(atPath: deeper.appendingPathComponent(".baton").path))

        // `postgres status`: a ready psql line that works, and JSON.
        let postgres = try await BatonProcess.run(["postgres", "status"], database: nil, directory: deeper)
        #expect(postgres.status == 0, "\(postgres)")
        let psqlLine = try #require(postgres.stdout.split(separator: "\n").first { $0.hasPrefix("connect with: psql \"host=") }, "\(postgres)")
        let conninfo = String(psqlLine.dropFirst("connect with: psql \"".count).dropLast())
        #expect(conninfo.contains("dbname=baton") && conninfo.contains("user=postgres"), "\(psqlLine)")
        let psql = try await Self.run("/usr/bin/psql", [conninfo, "-Atc", "SELECT name FROM baton.runs"])
        #expect(psql.output == "first\n", "\(psql)")
        let json = try Ops.json(try await BatonProcess.run(["postgres", "status", "--json"], database: nil, directory: deeper).stdout)
        #expect(json["running"] as? Bool == true && (json["psql"] as? String)?.hasPrefix("psql \"host=") == true, "\(json)")

        // Stopped: exit 3, like pg_ctl status.
        #expect(try await BatonProcess.run(["postgres", "stop"], database: nil, directory: deeper).status == 0)
        let stopped = try await BatonProcess.run(["postgres", "status"], database: nil, directory: deeper)
        #expect(stopped.status == 3, "\(stopped)")
        #expect(stopped.stdout.contains("is not running"), "\(stopped)")
        let stoppedJSON = try await BatonProcess.run(["postgres", "status", "--json"], database: nil, directory: deeper)
        let stoppedDocument = try Ops.json(stoppedJSON.stdout)
        #expect(stoppedJSON.status == 3 && stoppedDocument["running"] as? Bool == false, "\(stoppedJSON)")

        // The next command starts it again, and says so once.
        let again = try await BatonProcess.run(["status"], database: nil, directory: deeper)
        #expect(again.status == 0 && again.stdout.contains("first"), "\(again)")
        #expect(again.stderr.contains("no database configured: started a local Postgres in"), "\(again)")
    }

    @Test func aFolderThePostgresUserCannotEnterGivesNoPermissionNoise() async throws {
        try #require(getuid() == 0, "only as root does the server run as another user")
        let ws = try Workspace()
        defer { ws.remove() }
        let closed = ws.url.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true)
        chmod(closed.path, 0o700)
        defer { _ = try? BatonProcess.start(["postgres", "stop"], database: nil, directory: closed).process.waitUntilExit() }
        let migrate = try await BatonProcess.run(["migrate"], database: nil, directory: closed)
        #expect(migrate.status == 0, "\(migrate)")
        #expect(!migrate.stderr.contains("could not change directory"), "\(migrate)")
        #expect(!migrate.stdout.contains("could not change directory"), "\(migrate)")
        let stop = try await BatonProcess.run(["postgres", "stop"], database: nil, directory: closed)
        #expect(stop.status == 0 && !stop.stderr.contains("could not change directory"), "\(stop)")
    }

    @Test func resumeReplayAndDryRunWorkFromAnotherFolderWithTheRunsRelativePaths() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            try ws.write("fixtures/ids.csv", "id\n" + (1...2_000).map(String.init).joined(separator: "\n") + "\n")
            try ws.write("pipelines/slow.yaml", """
                pipeline: slow
                source:
                  csv: fixtures/ids.csv
                  types: { id: integer }
                  key: .id
                stages:
                  - name: check
                    jq: 'if .id == 7 then error("seven") else . end'
                  - name: nap
                    sql: insert into slow_out (id) select :id::int from pg_sleep(0.005)
                    batch_size: 10
                """)
            let process = try BatonProcess.start(["run", "pipelines/slow.yaml", "--run", "chk1", "--workers", "2", "--progress", "none"],
                                                 database: db, directory: ws.url)
            #expect(await Ops.signal(process, SIGINT, database: db, when: "SELECT count(*) FROM slow_out", reaches: 50))
            #expect(try await process.wait().status == 130)

            let elsewhere = try Workspace()
            defer { elsewhere.remove() }
            let resume = try await BatonProcess.run(["resume", "chk1", "--progress", "none"], database: db, directory: elsewhere.url)
            #expect(resume.status == 1, "the one failed item: \(resume)")
            #expect(try Ops.count(conn, "SELECT count(DISTINCT id) FROM slow_out") == 1_999)
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == 1_999)

            // The source file gone: a dry run still answers.
            try FileManager.default.removeItem(at: ws.url.appendingPathComponent("fixtures/ids.csv"))
            let dry = try await BatonProcess.run(["replay", "chk1", "--dry-run"], database: db, directory: elsewhere.url)
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("would re-run 1 item of run chk1:\n  check: 1\n"), "\(dry)")
            #expect(dry.stdout.contains("their outputs then flow on through nap"), "\(dry)")

            // Back, with the stage fixed: replay from elsewhere finishes the run.
            try ws.write("fixtures/ids.csv", "id\n" + (1...2_000).map(String.init).joined(separator: "\n") + "\n")
            let text = try String(contentsOf: ws.url.appendingPathComponent("pipelines/slow.yaml"), encoding: .utf8)
            try ws.write("pipelines/slow.yaml", text.replacingOccurrences(of: "if .id == 7 then error(\"seven\") else . end", with: "."))
            let replay = try await BatonProcess.run(["replay", "chk1", "--progress", "none"], database: db, directory: elsewhere.url)
            #expect(replay.status == 0, "\(replay)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == 2_000)
        }
    }

    /// Runs a program to completion; its stdout and exit status.
    static func run(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("baton-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }
}
