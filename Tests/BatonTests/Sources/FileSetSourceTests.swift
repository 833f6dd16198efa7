import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `jsonl:` / `csv:` naming a glob or a folder, run by the built binary: each file is read
/// once per pipeline (again when changed), `.gz` is decompressed, errors name their file, and
/// killed runs resume in the file they were reading.
@Suite("File-set sources (end to end)")
struct FileSetSourceTests {
    static func lines(_ file: String, _ range: ClosedRange<Int>) -> String {
        range.map { #"{"file": "\#(file)", "n": \#($0)}"# }.joined(separator: "\n") + "\n"
    }

    static func pipeline(_ ws: Workspace, source: String, onError: String = "fail", defaults: String? = nil) throws -> String {
        try ws.write("files.yaml", """
            pipeline: files
            \(defaults.map { "defaults: \($0)" } ?? "")
            setup: CREATE TABLE IF NOT EXISTS got (file text, n int, run text)
            source:
              \(source)
              key: '"\\(.file)-\\(.n)"'
              on_error: \(onError)
            stages:
              - name: load
                sql: insert into got (file, n, run) values (:file, :n, :_run)
            """)
    }

    @Test func aNewFileAndAChangedOneAreExactlyWhatTheNextRunReads() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        try ws.write("in/a.jsonl", Self.lines("a", 1...3))
        try ws.write("in/c.jsonl", Self.lines("c", 1...3))
        try Data(gzip(Array(Self.lines("b", 1...3).utf8))).write(to: ws.url.appendingPathComponent("in/b.jsonl.gz"))
        try ws.write("in/notes.txt", "not matched by the glob")
        let file = try Self.pipeline(ws, source: "jsonl: in/*.jsonl*")
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let first = try await SourceRun.run(file, db, run: "r1", directory: ws.url)
            #expect(first.status == 0, "\(first)")
            #expect(try SourceRun.done(first) == 9)
            #expect(try Ops.rows(conn, "SELECT DISTINCT file FROM got ORDER BY 1") == ["a", "b", "c"])

            // A fourth file, and `a` changed (a line more): the next run reads exactly those two.
            try ws.write("in/d.jsonl", Self.lines("d", 1...2))
            try ws.write("in/a.jsonl", Self.lines("a", 1...4))
            let second = try await SourceRun.run(file, db, run: "r2", directory: ws.url)
            #expect(second.status == 0, "\(second)")
            #expect(try Ops.rows(conn, "SELECT file || '-' || n FROM got WHERE run = 'r2' ORDER BY 1")
                    == ["a-1", "a-2", "a-3", "a-4", "d-1", "d-2"])

            // Nothing changed: nothing read.
            let third = try await SourceRun.run(file, db, run: "r3", directory: ws.url)
            #expect(try SourceRun.done(third) == 0)

            // A file touched but not changed is not read again either.
            let now = Date().addingTimeInterval(5)
            try FileManager.default.setAttributes([.modificationDate: now], ofItemAtPath: ws.url.appendingPathComponent("in/c.jsonl").path)
            let fourth = try await SourceRun.run(file, db, run: "r4", directory: ws.url)
            #expect(try SourceRun.done(fourth) == 0)

            let show = try await BatonProcess.run(["cursor", "show", file], database: db, directory: ws.url)
            #expect(show.stdout.contains("files      4 remembered"), "\(show)")
            let reset = try await BatonProcess.run(["cursor", "reset", "files"], database: db)
            #expect(reset.stdout.contains("4 files"), "\(reset)")
            let fifth = try await SourceRun.run(file, db, run: "r5", directory: ws.url)
            #expect(try SourceRun.done(fifth) == 12)  // a (4), b, c (3 each), d (2)
        }
    }

    @Test func aFolderIsEveryFileInItAndCSVFilesEachHaveTheirHeader() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        try ws.write("drop/1.csv", "file,n\nx,1\nx,2\n")
        try ws.write("drop/2.csv", "n,file\n3,y\n")
        try ws.write("drop/.hidden.csv", "file,n\nz,9\n")
        try Data(gzip(Array("file,n\nw,4\nw,5\n".utf8))).write(to: ws.url.appendingPathComponent("drop/3.csv.gz"))
        let file = try Self.pipeline(ws, source: "csv: drop\n  types: { n: integer }")
        try await TestDatabase.with { db in
            let output = try await SourceRun.run(file, db, run: "r1", directory: ws.url)
            #expect(output.status == 0, "\(output)")
            #expect(try Ops.rows(try db.connect(), "SELECT file || n FROM got ORDER BY 1") == ["w4", "w5", "x1", "x2", "y3"])
        }
    }

    @Test func malformedLinesAreReportedPerFile() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        try ws.write("in/x.jsonl", Self.lines("x", 1...2))
        try ws.write("in/y.jsonl", #"{"file": "y", "n": 1}"# + "\n{oops\n")
        let path = ws.url.appendingPathComponent("in/y.jsonl").path
        try await TestDatabase.with { db in
            let strict = try Self.pipeline(ws, source: "jsonl: in/")
            let failed = try await SourceRun.run(strict, db, run: "r1", directory: ws.url)
            #expect(failed.status == 65, "\(failed)")
            #expect(failed.stderr.contains("\(path):2: invalid JSON"), "\(failed)")

            let lenient = try Self.pipeline(ws, source: "jsonl: in/", onError: "skip")
            let output = try await SourceRun.run(lenient, db, run: "r2", directory: ws.url)
            #expect(output.status == 1, "\(output)")
            #expect(try SourceRun.done(output) == 3)
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT key FROM baton.items WHERE state = 'failed'") == ["\(path):line:2"])
            // Line 1 of x and of y are different items: positions are per file.
            #expect(try Ops.rows(conn, "SELECT file || n FROM got ORDER BY 1") == ["x1", "x2", "y1"])
        }
    }

    @Test func killedAtRandomMomentsTheRerunsReadEveryLineOfEveryFileOnce() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        for name in ["a", "b"] { try ws.write("in/\(name).jsonl", Self.lines(name, 1...4000)) }
        try Data(gzip(Array(Self.lines("c", 1...4000).utf8))).write(to: ws.url.appendingPathComponent("in/c.jsonl.gz"))
        let file = try Self.pipeline(ws, source: "jsonl: in/*")
        try await TestDatabase.with { db in
            var kills = 0
            var rng = SystemRandomNumberGenerator()
            while true {
                let process = try BatonProcess.start(["run", file, "--run", "crashy", "--progress", "none"], database: db, directory: ws.url)
                if kills < 5 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 150...700, using: &rng)))
                    if process.process.isRunning {
                        process.signal(SIGKILL)
                        _ = try await process.wait()
                        kills += 1
                        continue
                    }
                }
                let output = try await process.wait()
                try #require(output.status == 0, "\(output)")
                break
            }
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got") == 12_000)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT (file, n)) FROM got") == 12_000)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM baton.source_files") == 3)
        }
    }
    /// Two new runs of one file set started at once each read every new file (each run reads
    /// what no run read before, and neither had read anything yet): every record twice. The
    /// second is now refused (exit 75) while the first still reads, or, if the first was done
    /// reading, finds nothing new.
    @Test func twoNewRunsStartedAtOnceReadEachRecordOnce() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        for name in ["a", "b", "c"] { try ws.write("in/\(name).jsonl", Self.lines(name, 1...20_000)) }
        let file = try Self.pipeline(ws, source: "jsonl: in/*.jsonl")
        try await TestDatabase.with { db in
            let first = try BatonProcess.start(["run", file, "--progress", "none"], database: db, directory: ws.url)
            let second = try BatonProcess.start(["run", file, "--progress", "none"], database: db, directory: ws.url)
            let outputs = [try await first.wait(), try await second.wait()]
            #expect(outputs.allSatisfy { $0.status == 0 || $0.status == 75 }, "\(outputs)")
            #expect(outputs.contains { $0.status == 0 }, "\(outputs)")
            for refused in outputs where refused.status == 75 {
                #expect(refused.stderr.contains("is still reading its source"), "\(refused)")
            }
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got") == 60_000)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT (file, n)) FROM got") == 60_000)
        }
    }

    /// A run stopped while it read its files (killed) holds the files it had not finished: a
    /// new run is refused, naming it, until it is resumed (or cancelled); then each record
    /// was read once.
    @Test func aNewRunWaitsForARunStoppedWhileReading() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        for name in ["a", "b", "c"] { try ws.write("in/\(name).jsonl", Self.lines(name, 1...20_000)) }
        // A small backlog: the seeder waits for the stage, so it is caught reading.
        let file = try Self.pipeline(ws, source: "jsonl: in/*.jsonl", defaults: "{ backlog: 2000, lease: 2s }")
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let stopped = try BatonProcess.start(["run", file, "--run", "first", "--progress", "none"], database: db, directory: ws.url)
            var state = ""
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, stopped.process.isRunning {
                state = (try? Ops.rows(conn, "SELECT CASE WHEN seeded > 0 AND NOT seed_done THEN 'reading' END FROM baton.runs WHERE name = 'first'").first) ?? ""
                if state == "reading" { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            try #require(state == "reading", "the run was still reading when it was killed")
            stopped.signal(SIGKILL)
            _ = try await stopped.wait()
            let refused = try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url)
            #expect(refused.status == 75, "\(refused)")
            #expect(refused.stderr.contains("run first is still reading its source"), "\(refused)")
            #expect(refused.stderr.contains("baton resume first"), "\(refused)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 1, "no run was made")
            let resumed = try await BatonProcess.run(["resume", "first", "--progress", "none"], database: db, directory: ws.url)
            #expect(resumed.status == 0, "\(resumed)")
            let next = try await SourceRun.run(file, db, run: "next", directory: ws.url)
            #expect(next.status == 0, "\(next)")
            #expect(try SourceRun.done(next) == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM got") == 60_000)
            #expect(try EngineFixture.count(conn, "SELECT count(DISTINCT (file, n)) FROM got") == 60_000)
        }
    }
}
