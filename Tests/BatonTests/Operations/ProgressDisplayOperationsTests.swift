import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// The live progress display: redrawn in place on a terminal, one plain line every few
/// seconds otherwise, always on stderr, never on stdout.
@Suite("Progress display (end to end)")
struct ProgressDisplayOperationsTests {
    static let escape = "\u{1B}"

    @Test func ttyProgressRedrawsPerStageLinesInPlaceOnStderrOnly() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 700)
            let run = try await BatonProcess.run(
                ["run", file, "--run", "live", "--workers", "2", "--progress", "tty"], database: db)
            #expect(run.status == 0, "\(run)")
            Self.expectRedrawnBlock(run.stderr, run: "live", stage: "nap", total: 700)
            // The block is cleared at the end: the cursor goes back up over the blank lines.
            #expect(run.stderr.firstMatch(of: try Regex(#"\u{1B}\[\d+A$"#)) != nil, "\(run.stderr.debugDescription.suffix(200))")
            #expect(!run.stdout.contains(Self.escape), "\(run.stdout.debugDescription)")
            #expect(!run.stdout.contains("done/total"), "\(run)")
            #expect(run.stdout.hasPrefix("run live (id 1) of pipeline slow: succeeded"), "\(run)")
        }
    }

    @Test func autoProgressDetectsATerminalOnStderr() async throws {
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux `script` is needed for a pseudo-terminal")
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 700)
            let stdoutFile = ws.url.appendingPathComponent("stdout.txt").path
            // stderr is the pseudo-terminal; stdout goes to a file.
            let command = "'\(BatonProcess.binary)' run '\(file)' --run pty --workers 2 --database-url '\(db.url)' > '\(stdoutFile)'"
            let terminal = try await Self.runInPseudoTerminal(script: script, command: command)
            let stdout = try String(contentsOfFile: stdoutFile, encoding: .utf8)
            #expect(terminal.status == 0, "\(terminal.screen)")
            Self.expectRedrawnBlock(terminal.screen, run: "pty", stage: "nap", total: 700)
            #expect(!stdout.contains(Self.escape), "\(stdout.debugDescription)")
            #expect(stdout.hasPrefix("run pty (id 1) of pipeline slow: succeeded"), "\(stdout)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM slow_out") == 700)
        }
    }

    @Test func plainProgressPrintsOneLineEveryFewSecondsOnStderr() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 2_400)
            let run = try await BatonProcess.run(
                ["run", file, "--run", "flat", "--workers", "2", "--progress", "plain"], database: db)
            #expect(run.status == 0, "\(run)")
            let line = try Regex(#"^progress flat \[(\d+)s\] nap (\d+)/2400 failed=0 (\d+)/s$"#)
            let lines = run.stderr.split(separator: "\n").map(String.init)
            let progress = lines.compactMap { $0.wholeMatch(of: line) }
            #expect(!progress.isEmpty, "\(run)")
            #expect(progress.count == lines.count, "only progress lines on stderr: \(run.stderr)")
            #expect(!run.stderr.contains(Self.escape), "\(run.stderr.debugDescription)")
            let elapsed = progress.compactMap { Int($0.output[1].substring ?? "") }
            #expect(elapsed.first.map { (4...7).contains($0) } == true, "one line every 5 s: \(run.stderr)")
            let done = progress.compactMap { Int($0.output[2].substring ?? "") }
            #expect(done == done.sorted() && (done.first ?? 0) > 0, "\(run.stderr)")
            // Items were finishing at hundreds per second: the line must say so, not 0/s.
            let rates = progress.compactMap { Int($0.output[3].substring ?? "") }
            #expect(rates.allSatisfy { $0 > 0 }, "items/s on the progress lines: \(run.stderr)")
            #expect(!run.stdout.contains("progress"), "\(run)")
            #expect(run.stdout.hasPrefix("run flat (id 1) of pipeline slow: succeeded"), "\(run)")
        }
    }

    @Test func noProgressWritesNothingOnStderr() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let conn = try db.connect()
            try Ops.createSlowTable(conn)
            let file = try Ops.slowPipeline(ws, items: 400)
            let run = try await BatonProcess.run(["run", file, "--run", "quiet", "--workers", "2", "--progress", "none"], database: db)
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")
        }
    }

    /// The per-stage block, drawn more than once, each line cleared first (`ESC[2K`), the
    /// cursor moved back up (`ESC[nA`) before each redraw.
    static func expectRedrawnBlock(
        _ stream: String, run: String, stage: String, total: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let clears = stream.components(separatedBy: "\(escape)[2K").count - 1
        #expect(clears >= 6, "ESC[2K per line of at least two frames: \(stream.debugDescription)", sourceLocation: sourceLocation)
        let ups = stream.matches(of: try! Regex(#"\u{1B}\[(\d+)A"#)).compactMap { Int($0.output[1].substring ?? "") }
        #expect(ups.count >= 2 && ups.allSatisfy { $0 == 3 }, "ESC[3A: back over a 3-line block: \(ups)", sourceLocation: sourceLocation)
        let plain = stream.replacingOccurrences(of: "\r", with: "")
        #expect(plain.contains("\(escape)[2Krun \(run) · seeded \(total) · "), "title line: \(stream.debugDescription)", sourceLocation: sourceLocation)
        let header = try! Regex(#"\u{1B}\[2Kstage\s+done/total\s+failed\s+retries\s+items/s\s+ETA"#)
        #expect(plain.firstMatch(of: header) != nil, "header: \(stream.debugDescription)", sourceLocation: sourceLocation)
        let row = try! Regex(#"\u{1B}\[2K"# + stage + #"\s+(\d+)/"# + String(total) + #"\s+0\s+0\s+(\d+)\s+(\S+)\n"#)
        let rows = plain.matches(of: row)
        #expect(rows.count >= 2, "per-stage lines (done/total, failed, retries, items/s, ETA): \(stream.debugDescription)", sourceLocation: sourceLocation)
        #expect(rows.contains { ($0.output[3].substring ?? "").hasSuffix("s") }, "an ETA such as 2s: \(stream.debugDescription)", sourceLocation: sourceLocation)
    }

    /// Runs `command` under `script` so that it gets a pseudo-terminal; returns what was
    /// written to the terminal.
    static func runInPseudoTerminal(script: String, command: String) async throws -> (status: Int32, screen: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        for key in ["BATON_DATABASE_URL", "DATABASE_URL", "PGHOST", "PGDATABASE", "PGSERVICE"] { env[key] = nil }
        env["TERM"] = "xterm"
        process.environment = env
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("baton-pty-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw TestSetupError("script \(command) did not finish")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
