package import BatonPostgres
import Foundation
import Logging

/// What a run ended with, as seen by this process.
public struct RunReport: Sendable {
    /// The run as it is now (its state: `succeeded`, `failed`, or still `running` when this
    /// process stopped early).
    public var run: RunRecord
    /// Per stage counts and timings, from the database (every process's work).
    public var stages: [StageSummary]
    /// Time this process spent on the run.
    public var wallTime: Duration
    /// Set when the process stopped before the run was complete.
    public var stopReason: RunController.StopReason
    /// True when this process found nothing left to do (a resumed, finished run).
    public var wasAlreadyFinished: Bool
}

/// Runs pipelines: seeds a run, works all its stages until nothing is pending or running,
/// and marks it succeeded or failed.
package enum RunEngine {
    /// Creates run `runName` of `pipeline` (or resumes it if it exists: no duplicate seeding,
    /// no duplicate work) and works it to completion with `options.workers` workers.
    package static func run(
        _ pipeline: Pipeline, database: ConnectionConfig, runName: String, options: RunOptions = RunOptions(),
        controller: RunController = RunController()
    ) async throws -> RunReport {
        guard !pipeline.stages.isEmpty else { throw BatonError(.config, "pipeline \(pipeline.name) has no stages") }
        let setup = PostgresSession(config: database, name: "baton-setup")
        let existing = try await withDatabase {
            try await setup.withConnection { conn -> RunRecord? in
                if try !Store.isCurrent(conn) { try Store.migrate(conn) }
                return try Store.findRun(conn, pipeline: pipeline.name, name: runName)
            }
        }
        // A malformed source fails before the run exists: nothing is left behind.
        let validate = options.seed && existing.map { !$0.seedDone && $0.seedPosition == 0 } ?? true
        if validate && pipeline.source.onError == .fail {
            try await Seeder(pipeline: pipeline, runID: 0, database: database, chunkSize: 1).validateWholeSource()
        }
        let run = try await withDatabase {
            try await setup.withConnection { conn -> RunRecord in
                let (run, created) = try Store.createOrFindRun(conn, pipeline: pipeline, name: runName)
                // A resume works with the file as it is now: helpers (`baton work`) use it too.
                if !created && run.state == .running && run.definitionHash != pipeline.definitionHash {
                    try Store.reopenRun(conn, runID: run.id, pipeline: pipeline)
                }
                return run
            }
        }
        return try await perform(pipeline, run: run, database: database, options: options, controller: controller,
                                 setup: setup, sourceValidated: validate)
    }

    /// Works an existing run (resume, replay, `baton work`) to completion.
    package static func work(
        _ pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions = RunOptions(),
        controller: RunController = RunController()
    ) async throws -> RunReport {
        try await perform(pipeline, run: run, database: database, options: options, controller: controller,
                          setup: PostgresSession(config: database, name: "baton-setup"), sourceValidated: false)
    }

    private static func perform(
        _ pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions,
        controller: RunController, setup: PostgresSession, sourceValidated: Bool
    ) async throws -> RunReport {
        let clock = ContinuousClock()
        let started = clock.now
        let stageKeys = pipeline.stages.map { (name: $0.name, hash: Optional($0.definitionHash)) }
        if run.state == .cancelled {
            throw BatonError(.usage, "run \(run.name) was cancelled; start a new run instead")
        }
        if run.state != .running {
            let summaries = try await withDatabase {
                try await setup.withConnection { try Store.stageSummaries($0, runID: run.id, stages: stageKeys) }
            }
            return RunReport(run: run, stages: summaries, wallTime: .zero, stopReason: .none, wasAlreadyFinished: true)
        }

        // Unfinished items of a stage the file no longer has could never be worked.
        let stageNames = pipeline.stages.map(\.name)
        let orphaned = try await withDatabase {
            try await setup.withConnection { try Store.unfinishedStages($0, runID: run.id) }
        }.filter { !stageNames.contains($0) }
        if !orphaned.isEmpty {
            throw BatonError(.config, """
                run \(run.name) has unfinished items in stage\(orphaned.count == 1 ? "" : "s") \(orphaned.joined(separator: ", ")), \
                which \(pipeline.file ?? "the pipeline") no longer has (stages: \(stageNames.joined(separator: ", "))); \
                restore the stage, or start a new run
                """)
        }
        if !pipeline.setup.isEmpty {
            try await withDatabase { try await setup.withConnection { try runSetup(pipeline, $0) } }
        }
        let context = try RunContext(pipeline: pipeline, run: run, database: database, options: options, controller: controller)
        let logger = context.logger
        let seeder = try Seeder(pipeline: pipeline, runID: run.id, database: database, chunkSize: options.seedChunkSize)
        let seeding = options.seed && !run.seedDone
        if seeding && !sourceValidated && run.seedPosition == 0 && pipeline.source.onError == .fail {
            try await seeder.validateWholeSource()
        }
        logger.info("working run", metadata: ["pipeline": "\(pipeline.name)", "workers": "\(options.workers)"])

        // Stages holding children (stream exec) stop them when this process is done with the run.
        try await StageLifecycle.around(pipeline.stages, logger: logger) { try await withDatabase {
            try await withThrowingTaskGroup(of: Void.self) { outer in
                outer.addTask {
                    await Maintenance(context: context).run(until: { context.workersFinished })
                }
                outer.addTask {
                    defer { context.markWorkersFinished() }
                    try await withThrowingTaskGroup(of: Void.self) { inner in
                        if seeding {
                            inner.addTask { try await seedLoop(seeder, context: context) }
                        }
                        for index in 0..<options.workers {
                            inner.addTask { try await Worker(index: index, context: context).run() }
                        }
                        try await inner.waitForAll()
                    }
                }
                try await outer.waitForAll()
            }
        } }
        if let fatal = context.fatal { throw fatal }

        let stop = controller.isStopping && !context.isComplete ? controller.stopReason : .none
        let final = try await withDatabase {
            try await setup.withConnection { conn -> (RunRecord, [StageSummary]) in
                if stop == .none { try Store.finishRunIfComplete(conn, runID: run.id) }
                // Items produced by in-flight work after a cancel are cancelled too.
                try Store.cancelPending(conn, runID: run.id)
                let record = try Store.run(conn, id: run.id) ?? run
                return (record, try Store.stageSummaries(conn, runID: run.id, stages: stageKeys))
            }
        }
        return RunReport(run: final.0, stages: final.1, wallTime: clock.now - started, stopReason: stop, wasAlreadyFinished: false)
    }

    /// Runs the pipeline's `setup:` SQL in one transaction; an error is a configuration error.
    static func runSetup(_ pipeline: Pipeline, _ conn: Connection) throws {
        guard !pipeline.setup.isEmpty else { return }
        do {
            try conn.transaction { conn in
                for statement in pipeline.setup { try conn.execute(statement) }
            }
        } catch let error as PostgresError where !error.isConnectionError {
            throw BatonError(.config, "\(pipeline.file ?? pipeline.name): setup SQL failed: \(pipeline.redact(error.description))")
        }
    }

    /// Seeds chunk after chunk, pausing while the first stage's backlog is full.
    private static func seedLoop(_ seeder: Seeder, context: RunContext) async throws {
        var failingSince: ContinuousClock.Instant?
        do {
            while !context.controller.isStopping && !context.isComplete && !Task.isCancelled {
                if context.isBacklogFull(stage: 0) {
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                do {
                    let (done, inserted) = try await seeder.seedNext()
                    failingSince = nil
                    context.adjustBacklog(stage: 0, by: inserted)
                    if done { return }
                } catch let error as PostgresError where error.isConnectionError {
                    // Reconnect and continue from the stored position, as workers do.
                    let since = failingSince ?? .now
                    failingSince = since
                    if ContinuousClock.now - since > .seconds(60) {
                        throw BatonError(.unavailable, "database unavailable for over a minute while seeding: \(error)")
                    }
                    context.logger.warning("seeding: database connection lost; reconnecting", metadata: ["error": "\(error)"])
                    await seeder.reset()
                    try await Task.sleep(for: .seconds(1))
                }
            }
        } catch is CancellationError {
            return
        } catch {
            context.fail(error)
            throw error
        }
    }

    /// Maps a lost or refused database connection to "unavailable" (exit 69).
    static func withDatabase<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.code == .connectionFailed || error.code == .connectionLost {
            throw BatonError(.unavailable, "database unavailable: \(error)")
        }
    }
}
