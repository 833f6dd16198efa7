package import Logging

/// An `exec` stage in `mode: stream`: long-lived children (``ExecStageConfig/processes`` per
/// process, started on first use) read one item per line on stdin and write one answer line
/// per item on stdout, in order: `{"items": [...]}` (0…n outputs) or
/// `{"error": "...", "permanent": true|false}`. Up to ``ExecStageConfig/window`` items are
/// written ahead of the answers.
///
/// A child that exits, does not answer within the timeout, or writes a line that is not an
/// answer is killed with its process group and restarted with backoff; the item it was
/// working on fails as transient (see ``CoprocessDriver``). Children get `BATON_RUN` and
/// `BATON_STAGE`; their stderr goes to the log.
package struct StreamExecTransform: StageTransform, RunScopedTransform {
    package let config: ExecStageConfig
    private let pool: CoprocessPool

    package init(config: ExecStageConfig) throws {
        guard !config.command.isEmpty else { throw StageError.permanent("exec: empty command", class: "config") }
        self.config = config
        pool = CoprocessPool(config: config)
    }

    package var fingerprint: String {
        "exec-stream:\(config.command.joined(separator: "\u{1}")):\(config.timeout):\(config.workingDirectory ?? "")"
    }
    package var kindName: String { "exec" }
    package var defaultConcurrency: Int { config.processes * config.window }
    package var defaultBatchSize: Int { 200 }

    package func process(_ item: StageInput) async throws -> StageOutput {
        try await pool.process(item)
    }

    package func runWillStart(logger: Logger) { pool.retain(logger: logger) }

    package func runDidFinish() async { await pool.release() }
}
