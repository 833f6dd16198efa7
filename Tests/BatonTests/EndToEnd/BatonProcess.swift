import BatonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `baton` executable, as a user would, and captures what it prints.
struct BatonProcess {
    struct Output: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    /// `baton` next to the test bundle (`.build/debug/baton`).
    static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = bundle.appendingPathComponent("baton").path
        if !FileManager.default.isExecutableFile(atPath: candidate) {
            // Running from inside the .xctest bundle directory.
            candidate = bundle.deletingLastPathComponent().appendingPathComponent("baton").path
        }
        return candidate
    }

    let process: Process
    private let stdoutFile: URL
    private let stderrFile: URL

    /// Starts `baton ARGS` in `directory` with the test database unless `database` is nil.
    static func start(_ arguments: [String], database: TestDatabase?, directory: URL? = nil, environment: [String: String] = [:]) throws -> BatonProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var args = arguments
        if let database { args += ["--database-url", database.url] }
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        for key in ["BATON_DATABASE_URL", "DATABASE_URL", "PGHOST", "PGDATABASE", "PGSERVICE"] { env[key] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let tmp = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let out = tmp.appendingPathComponent("baton-\(id).out")
        let err = tmp.appendingPathComponent("baton-\(id).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return BatonProcess(process: process, stdoutFile: out, stderrFile: err)
    }

    /// Runs `baton ARGS` to completion.
    static func run(_ arguments: [String], database: TestDatabase?, directory: URL? = nil, environment: [String: String] = [:]) async throws -> Output {
        try await start(arguments, database: database, directory: directory, environment: environment).wait()
    }

    var pid: Int32 { process.processIdentifier }

    /// The file its stderr goes to (readable while it runs).
    var stderrPath: String { stderrFile.path }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit (without blocking a cooperative thread).
    func wait(timeout: Duration = .seconds(180)) async throws -> Output {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw TestSetupError("baton \(process.arguments ?? []) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: stdoutFile)
            try? FileManager.default.removeItem(at: stderrFile)
        }
        return Output(
            status: process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        )
    }
}

/// A scratch folder for pipeline files and fixtures, removed at the end.
struct Workspace {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("baton-ws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// `fixtures/NAME.jsonl`: records `{"id": 1}` … `{"id": count}`, one per line.
    @discardableResult
    func writeIDs(_ name: String, count: Int) throws -> String {
        try write("fixtures/\(name).jsonl", (1...count).map { #"{"id": \#($0)}"# }.joined(separator: "\n") + "\n")
    }

    /// `NAME.yaml`: pipeline NAME over ``writeIDs(_:count:)`` (key `.id`) with `stages`
    /// (YAML list items, indented by two spaces). Returns the pipeline file's path.
    func idsPipeline(_ name: String, count: Int, stages: String) throws -> String {
        try writeIDs(name, count: count)
        return try write("\(name).yaml", """
            pipeline: \(name)
            source:
              jsonl: \(url.path)/fixtures/\(name).jsonl
              key: .id
            stages:
            \(stages)
            """)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
