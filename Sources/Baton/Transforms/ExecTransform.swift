import BatonJQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An `exec` stage: one subprocess per item. The item's JSON is written to the program's
/// stdin (one line); every non-empty line it prints on stdout is one output item (JSON).
/// Exit 0: success (no output lines: the item is skipped). Exit codes in `fail_on_exit`
/// (default 65, "bad data"): a permanent failure; any other exit, a signal or the timeout:
/// retried. The item's context is in the environment: `BATON_RUN`, `BATON_STAGE`,
/// `BATON_ITEM_KEY`, `BATON_ATTEMPT`.
package struct ExecTransform: StageTransform {
    package let config: ExecStageConfig

    package init(config: ExecStageConfig) throws {
        guard !config.command.isEmpty else { throw StageError.permanent("exec: empty command", class: "config") }
        self.config = config
    }

    package var fingerprint: String { "exec:\(config.command.joined(separator: "\u{1}")):\(config.timeout)\(config.workingDirectory.map { ":\($0)" } ?? "")" }
    package var kindName: String { "exec" }
    package var defaultConcurrency: Int { 2 }
    package var defaultBatchSize: Int { 20 }

    package func process(_ item: StageInput) async throws -> StageOutput {
        // Files, not pipes: a child that writes a lot before reading its input cannot deadlock us.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("baton-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("in")
        let output = scratch.appendingPathComponent("out")
        let errors = scratch.appendingPathComponent("err")
        try Data((item.payload + "\n").utf8).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = config.command
        var environment = ProcessInfo.processInfo.environment
        environment.merge(config.environment) { _, new in new }
        environment["BATON_RUN"] = item.runName
        environment["BATON_STAGE"] = item.stage
        environment["BATON_ITEM_KEY"] = item.key
        environment["BATON_ATTEMPT"] = String(item.attempt)
        process.environment = environment
        if let directory = config.workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true) }
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)

        let command = config.command.joined(separator: " ")
        let finished = try await runWithTimeout(process)
        let stderrTail = String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self)
            .split(separator: "\n").suffix(3).joined(separator: " / ")
        let detail = stderrTail.isEmpty ? "" : ": \(stderrTail.prefix(300))"
        guard finished else {
            throw StageError.transient("\(item.stage) \(item.key): `\(command)` ran longer than \(config.timeout) and was stopped", class: "exec timeout")
        }
        if process.terminationReason == .uncaughtSignal {
            throw StageError.transient("\(item.stage) \(item.key): `\(command)` was killed by signal \(process.terminationStatus)\(detail)", class: "exec signal")
        }
        let status = process.terminationStatus
        if status != 0 {
            let message = "\(item.stage) \(item.key): `\(command)` exited with status \(status)\(detail)"
            if status == 127 { throw StageError.permanent(message + " (command not found?)", class: "exec 127") }
            throw StageError(isPermanent: config.failOnExit.contains(status), errorClass: "exec \(status)", message: message)
        }
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        var outputs: [String] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                outputs.append(try JSON.compact(trimmed))
            } catch {
                throw StageError.permanent("\(item.stage) \(item.key): `\(command)` printed a line that is not JSON (stdout line \(index + 1)): \(trimmed.prefix(100))", class: "exec output")
            }
        }
        return .outputs(outputs)
    }

    /// Runs the process; false if it had to be stopped at the timeout. Cancelling the task
    /// stops the process too.
    private func runWithTimeout(_ process: Process) async throws -> Bool {
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in
            exited.continuation.yield()
            exited.continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        return try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await _ in exited.stream {}
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: config.timeout)
                    return false
                }
                let first = try await group.next() ?? true
                if !first {
                    // Timed out: ask, then force; the first task returns once it has exited. The
                    // child leads its own process group: signal the group, so a shell's
                    // children go too.
                    kill(-pid, SIGTERM)
                    group.addTask {
                        try? await Task.sleep(for: .seconds(2))
                        kill(-pid, SIGKILL)
                        return false
                    }
                    while let exitedFirst = try await group.next(), !exitedFirst {}
                }
                group.cancelAll()
                return first
            }
        } onCancel: {
            kill(-pid, SIGKILL)
        }
    }
}
