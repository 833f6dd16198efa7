import BatonJQ
import Foundation

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
        var environment = ProcessInfo.processInfo.environment
        environment.merge(config.environment) { _, new in new }
        environment["BATON_RUN"] = item.runName
        environment["BATON_STAGE"] = item.stage
        environment["BATON_ITEM_KEY"] = item.key
        environment["BATON_ATTEMPT"] = String(item.attempt)
        let command = config.command.joined(separator: " ")
        let run: ChildRun
        do {
            run = try await ChildRun.run(command: config.command, environment: environment, workingDirectory: config.workingDirectory,
                                         input: Array((item.payload + "\n").utf8), timeout: config.timeout)
        } catch let error as ChildProcess.SpawnError {
            throw StageError(isPermanent: error.isPermanent, errorClass: error.isPermanent ? "exec 127" : "exec start",
                             message: "\(item.stage) \(item.key): `\(command)`: \(error.message)")
        }
        let stderrTail = String(decoding: run.stderrTail, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " / ")
        let detail = stderrTail.isEmpty ? "" : ": \(stderrTail.prefix(300))"
        let status: Int32
        switch run.outcome {
        case .timedOut:
            throw StageError.transient("\(item.stage) \(item.key): `\(command)` ran longer than \(config.timeout) and was stopped", class: "exec timeout")
        case .finished(.signalled(let signal)):
            throw StageError.transient("\(item.stage) \(item.key): `\(command)` was killed by signal \(signal)\(detail)", class: "exec signal")
        case .finished(.exited(let code)):
            status = code
        }
        if status != 0 {
            let message = "\(item.stage) \(item.key): `\(command)` exited with status \(status)\(detail)"
            if status == 127 { throw StageError.permanent(message + " (command not found?)", class: "exec 127") }
            throw StageError(isPermanent: config.failOnExit.contains(status), errorClass: "exec \(status)", message: message)
        }
        if let bad = LineReader.firstInvalidUTF8(in: run.stdout) {
            throw StageError.permanent("\(item.stage) \(item.key): `\(command)` printed bytes that are not valid UTF-8 (byte \(bad + 1) of its output)",
                                       class: "exec output")
        }
        var outputs: [String] = []
        for (index, line) in String(decoding: run.stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
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
}
