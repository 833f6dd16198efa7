import Foundation

extension Pipeline {
    /// Runs the pipeline to completion on `database`: creates run `runName` (default
    /// `PIPELINE-YYYYMMDD-HHMMSS`, UTC), seeds the source, works every stage until no item
    /// is pending or running, and reports per stage. With the name of an existing run, resumes
    /// it (no duplicate seeding, no duplicate work); a finished run is reported as it is
    /// (``RunReport/wasAlreadyFinished``).
    ///
    /// Several processes (or calls) may work the same run at once. `controller` stops the run
    /// early (in-flight items finish; ``RunReport/stopReason`` says why).
    ///
    /// Throws ``BatonError`` (its ``BatonError/category`` says what kind of failure), or
    /// ``PipelineErrors`` for a pipeline that cannot run. A run whose items failed does not
    /// throw: its ``RunReport/run`` state is `failed`.
    public func run(
        on database: Database, runName: String? = nil, options: RunOptions = RunOptions(),
        controller: RunController = RunController()
    ) async throws -> RunReport {
        try await RunEngine.run(self, database: database.config, runName: runName ?? Pipeline.defaultRunName(for: name),
                                options: options, controller: controller)
    }

    /// `NAME-YYYYMMDD-HHMMSS` in UTC, now.
    package static func defaultRunName(for name: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(name)-\(formatter.string(from: Date()))"
    }
}

extension Pipeline {
    /// Whether a new run is seeded in bulk (``Migrations/bulkSeed``): only when no worker of
    /// the process waits for its items (`--seed-only`), from a source read through before
    /// seeding (a file: cheap to read, no API paged ahead of the work), and without a `dedupe`
    /// window or an incremental cursor (their keys are checked against other runs as each
    /// chunk is written).
    func seedsInBulk(seedOnly: Bool) -> Bool {
        seedOnly && source.definition.isCheckedBeforeSeeding && source.dedupeWindow == nil && source.incremental == nil
    }
}
