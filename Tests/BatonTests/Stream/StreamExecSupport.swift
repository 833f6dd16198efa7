import Baton
import BatonTestSupport
import Foundation
import Logging
import Synchronization

/// Helpers for stream exec tests: Python children written to a scratch folder, runs of one
/// stream stage, process liveness, and a log handler that keeps what it is given.
enum StreamExec {
    /// Runs `script` (Python) as the one stream stage of a pipeline over items `{id: 1…count}`.
    static func run(
        _ db: TestDatabase, _ workspace: Workspace, script: String, items count: Int = 10, attempts: Int = 2,
        timeout: Duration = .seconds(20), startTimeout: Duration = .seconds(60), processes: Int = 1, window: Int = 64, logger: Logger? = nil
    ) async throws -> RunReport {
        let path = try workspace.write("child.py", script)
        var config = ExecStageConfig(command: ["python3", path])
        config.mode = .stream
        config.timeout = timeout
        config.startTimeout = startTimeout
        config.processes = processes
        config.window = window
        config.environment = ["SCRATCH": workspace.url.path]
        let pipeline = Pipeline(name: "stream", source: EngineFixture.items(count), stages: [
            Stage(name: "child", transform: try StreamExecTransform(config: config), retry: EngineFixture.fastRetry(attempts)),
        ])
        var options = EngineFixture.options()
        if let logger { options.logger = logger }
        return try await RunEngine.run(pipeline, database: db.config, runName: "r", options: options)
    }

    /// A prologue for child scripts: `SCRATCH` (the workspace), `once(name)` (true the first
    /// time any child calls it with that name), and a line per child start in `starts`.
    static let prologue = #"""
        import json, os, sys, time
        SCRATCH = os.environ["SCRATCH"]
        def once(name):
            try:
                os.close(os.open(os.path.join(SCRATCH, name), os.O_CREAT | os.O_EXCL))
                return True
            except FileExistsError:
                return False
        with open(os.path.join(SCRATCH, "starts"), "a") as f:
            f.write(f"{os.getpid()}\n")
        def answer(value):
            print(json.dumps(value), flush=True)

        """#

    /// Pids listed in a workspace file, one per line.
    static func pids(_ workspace: Workspace, _ name: String) -> [Int32] {
        let text = (try? String(contentsOf: workspace.url.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Whether a process exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state != "Z" && state != "X"
    }

    /// Waits up to `limit` for every pid to be gone; the ones still alive.
    static func survivors(_ pids: [Int32], within limit: Duration = .seconds(10)) async throws -> [Int32] {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !pids.contains(where: isAlive) { return [] }
            try await Task.sleep(for: .milliseconds(50))
        }
        return pids.filter(isAlive)
    }
}

/// Keeps every log message (level, text, metadata) for assertions.
struct CapturingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    final class Store: Sendable {
        let entries = Mutex<[Entry]>([])
        var all: [Entry] { entries.withLock { $0 } }
    }

    let store: Store
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let entry = Entry(level: event.level, message: "\(event.message)", metadata: all.mapValues { "\($0)" })
        store.entries.withLock { $0.append(entry) }
    }

    static func logger() -> (Logger, Store) {
        let store = Store()
        var logger = Logger(label: "baton.test") { _ in CapturingLogHandler(store: store) }
        logger.logLevel = .debug
        return (logger, store)
    }
}
