package import BatonPostgres
import BatonJQ
import Foundation
import Logging

/// Runs pipelines: seeds a run, works all its stages until nothing is pending or running,
/// and marks it succeeded or failed.
package enum RunEngine {
    /// Creates run `runName` of `pipeline` (or resumes it if it exists: no duplicate seeding,
    /// no duplicate work) and works it to completion with `options.workers` workers. With
    /// `runName` nil, a new run under a fresh name (``RunNaming``): never a resume.
    ///
    /// Before anything is created: a named run that read another source (another file, other
    /// content, another query) is refused; the SQL statements are prepared against the
    /// database (after `setup:`); a file source is checked record by record (`on_error: fail`)
    /// and counted.
    package static func run(
        _ pipeline: Pipeline, database: ConnectionConfig, runName: String?, options: RunOptions = RunOptions(),
        controller: RunController = RunController()
    ) async throws -> RunReport {
        guard !pipeline.stages.isEmpty else { throw BatonError(.config, "pipeline \(pipeline.name) has no stages") }
        // Guarded like every connection of a run: a process paused in the middle of a set-up
        // transaction (a migration, holding its lock) loses it after the shortest lease.
        let setup = PostgresSession(config: RunContext.guarded(database, pipeline: pipeline), name: "baton-setup")
        // A stalled peer can hold what set-up needs: a reaper runs beside it from the start.
        let (run, validate) = try await StallReaper.guarding(pipeline, database: database, logger: options.logger) {
            let existing = try await withDatabase(options, first: true) {
                try await setup.withConnection { conn -> RunRecord? in
                    try Store.migrate(conn)  // nothing written when up to date
                    return try runName.flatMap { try Store.findRun(conn, pipeline: pipeline.name, name: $0) }
                }
            }
            let definition = pipeline.source.definition
            let identity = options.seed && definition.isReadableHere ? try definition.identity() : nil
            if let existing, let started = existing.source, let now = identity, let difference = started.difference(to: now) {
                throw BatonError(.config, """
                    run \(existing.name) of pipeline \(pipeline.name) already exists and read another source: \(pipeline.redact(difference)). \
                    A run reads one source: to start a new run, leave out --run (a new name is chosen) or give another name; \
                    to re-run its failed items: baton replay \(existing.name); to continue it: baton resume \(existing.name)
                    """)
            }
            try await withDatabase(options) { try await setup.withConnection { try StatementCheck.check(pipeline, $0) } }
            // A malformed source fails before the run exists: nothing is left behind. A run seeded
            // in bulk is not visible until its last chunk, and checks each record as it loads it:
            // a bad one removes the run (``Store/discardBulkRun(_:runID:)``), one read of the file
            // instead of two.
            let validate = options.seed && existing.map { !$0.seedDone && !$0.hasSeedProgress } ?? true
            let bulk = pipeline.seedsInBulk(seedOnly: options.seedOnly)
            var total: Int64?
            if validate && pipeline.source.onError == .fail && !(bulk && existing.map(\.isSeedingInBulk) ?? true) {
                total = try await checkSource(pipeline, database: database, options: options, controller: controller)
            }
            let directory = FileManager.default.currentDirectoryPath
            let run = try await withDatabase(options) {
                try await setup.withConnection { conn -> RunRecord in
                    let (run, created) = try runName.map { try Store.createOrFindRun(conn, pipeline: pipeline, name: $0, bulk: bulk) }
                        ?? (try Store.createNewRun(conn, pipeline: pipeline, bulk: bulk) { RunNaming.defaultName(pipeline: pipeline.name) }, true)
                    if created {
                        try Store.recordOrigin(conn, runID: run.id, source: identity, total: total, workingDirectory: directory, file: pipeline.file)
                        return try Store.run(conn, id: run.id) ?? run
                    }
                    // A resume works with the file as it is now: helpers (`baton work`) use it too.
                    if run.state == .running && run.definitionHash != pipeline.definitionHash {
                        try Store.reopenRun(conn, runID: run.id, pipeline: pipeline)
                    }
                    return run
                }
            }
            return (run, validate)
        }
        return try await perform(pipeline, run: run, database: database, options: options, controller: controller,
                                 setup: setup, sourceValidated: validate, statementsChecked: true)
    }

    /// The record-by-record check of the source, reporting `checking` snapshots to the
    /// progress display and stopping on a stop request. Returns the record count.
    private static func checkSource(
        _ pipeline: Pipeline, database: ConnectionConfig, options: RunOptions, controller: RunController
    ) async throws -> Int64? {
        let clock = ContinuousClock()
        let started = clock.now
        let report = options.progress
        let announce = ProgressSnapshot.checking(pipeline: pipeline, records: 0, elapsed: .zero)
        report?(announce)
        let count = try await Seeder(pipeline: pipeline, runID: 0, database: database, chunkSize: 1).validateWholeSource { records in
            report?(ProgressSnapshot.checking(pipeline: pipeline, records: records, elapsed: clock.now - started))
            return !controller.isStopping
        }
        if controller.isStopping { throw CancellationError() }
        return count
    }

    /// Works an existing run (resume, replay, `baton work`) to completion.
    package static func work(
        _ pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions = RunOptions(),
        controller: RunController = RunController()
    ) async throws -> RunReport {
        // Seeding goes on where it stopped: only in the source it started with.
        let definition = pipeline.source.definition
        if options.seed && !run.seedDone && run.state == .running && definition.isReadableHere, let started = run.source,
           let difference = started.difference(to: try definition.identity()) {
            throw BatonError(.config, """
                run \(run.name) stopped while seeding, and its source changed since: \(pipeline.redact(difference)); \
                seeding cannot go on where it stopped. Restore the source, or start a new run
                """)
        }
        return try await perform(pipeline, run: run, database: database, options: options, controller: controller,
                                 setup: PostgresSession(config: RunContext.guarded(database, pipeline: pipeline), name: "baton-setup"),
                                 sourceValidated: false,
                                 statementsChecked: false)
    }

    private static func perform(
        _ pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions,
        controller: RunController, setup: PostgresSession, sourceValidated: Bool, statementsChecked: Bool
    ) async throws -> RunReport {
        let clock = ContinuousClock()
        let started = clock.now
        let stageKeys = pipeline.stages.map { (name: $0.name, hash: Optional($0.definitionHash)) }
        if run.state == .cancelled {
            throw BatonError(.usage, "run \(run.name) was cancelled; start a new run instead")
        }
        if run.state != .running {
            let summaries = try await withDatabase(options) {
                try await setup.withConnection { try Store.stageSummaries($0, runID: run.id, stages: stageKeys) }
            }
            return RunReport(run: run, stages: summaries, wallTime: .zero, stopReason: .none, wasAlreadyFinished: true)
        }
        try await StallReaper.guarding(pipeline, database: database, logger: options.logger) {
            try await prepare(pipeline, run: run, setup: setup, options: options, statementsChecked: statementsChecked)
        }
        // Not needed again until the run ends: no idle connection meanwhile.
        await setup.close()
        var seeding = options.seed && !run.seedDone
        var phases = 0
        while true {
            phases += 1
            let context = try await workPhase(pipeline, run: run, database: database, options: options, controller: controller,
                                              setup: setup, seeding: seeding,
                                              validateSource: phases == 1 && seeding && !sourceValidated && !run.hasSeedProgress)
            let asked = controller.isStopping && !context.isComplete ? controller.stopReason : .none
            var reconnector = Reconnector(budget: options.reconnectBudget, what: "run summary", logger: context.logger)
            let final = try await reconnector.run {
                try await setup.withConnection { conn -> (RunRecord, [StageSummary], RunProgress?, RunController.StopReason) in
                    var stop = asked
                    // Stopped, but the work it let finish was the last: the run is done (exit 0),
                    // not interrupted with nothing left to resume. With --seed-only the work is the
                    // seeding (a stop that came while its last chunk committed stopped nothing).
                    if stop == .interrupt || stop == .terminate,
                       try options.seedOnly ? Store.run(conn, id: run.id)?.seedDone == true : Store.progress(conn, runID: run.id).isComplete {
                        stop = .none
                    }
                    if stop == .none { try Store.finishRunIfComplete(conn, runID: run.id) }
                    // Items produced by in-flight work after a cancel are cancelled too.
                    try Store.cancelPending(conn, runID: run.id)
                    let record = try Store.run(conn, id: run.id) ?? run
                    // Nobody asked this process to stop, yet the run is still running: see below.
                    let unfinished = record.state == .running && !controller.isStopping && !options.seedOnly
                    return (record, try Store.stageSummaries(conn, runID: run.id, stages: stageKeys),
                            unfinished ? try Store.progress(conn, runID: run.id) : nil, stop)
                }
            }
            let (record, summaries, progress, stop) = final
            // The workers saw the run complete, and then it was not (a commit the server had
            // acknowledged was lost in a crash, e.g. with synchronous_commit = off). Work on:
            // the items the lost commit had finished come back when their lease ends (``Rescuer``).
            if let progress, !progress.isComplete {
                guard phases < maxWorkPhases else {
                    throw BatonError(.temporary, """
                        run \(run.name): the work ended \(phases) times while items were still unfinished \
                        (\(progress.ready + progress.delayed) pending, \(progress.running) running); the run is safe to resume
                        """)
                }
                context.logger.warning("""
                    the run looked complete but is not (\(progress.ready + progress.delayed) items pending, \(progress.running) running; \
                    the database lost a commit it had acknowledged?): working on
                    """)
                seeding = options.seed && !record.seedDone
                continue
            }
            return RunReport(run: record, stages: summaries, wallTime: clock.now - started, stopReason: stop, wasAlreadyFinished: false)
        }
    }

    /// How many times a process works a run before it gives up on a run that keeps ending
    /// unfinished (exit 75).
    static let maxWorkPhases = 20

    /// The seeder and the workers of this process on the run, with the maintenance services
    /// beside them, until the run is complete, the process stops, or a component fails (thrown).
    /// Leases the process still holds afterwards are given back.
    private static func workPhase(
        _ pipeline: Pipeline, run: RunRecord, database: ConnectionConfig, options: RunOptions,
        controller: RunController, setup: PostgresSession, seeding: Bool, validateSource: Bool
    ) async throws -> RunContext {
        let context = try RunContext(pipeline: pipeline, run: run, database: database, options: options, controller: controller)
        // A reader's long waits give up on a stop, not on a yield: the chunk it reads commits.
        // In bulk, nothing waits for a chunk's items: larger chunks, fewer commits (each flushes the WAL).
        let chunkSize = run.isSeedingInBulk ? max(options.seedChunkSize, RunOptions.bulkSeedChunkSize) : options.seedChunkSize
        let seeder = try Seeder(pipeline: pipeline, runID: run.id, database: context.database, chunkSize: chunkSize,
                                inBulk: run.isSeedingInBulk, shouldStop: { context.isComplete || (controller.isStopping && !controller.isYielding) }, logger: context.logger)
        if validateSource && pipeline.source.onError == .fail {
            try await seeder.validateWholeSource()
        }
        context.logger.info(options.seedOnly ? "seeding run (no workers)" : "working run",
                           metadata: ["pipeline": "\(pipeline.name)", "workers": "\(options.seedOnly ? 0 : options.workers)"])
        let listener = options.pollOnly || options.seedOnly ? nil
            : WorkListener(database: context.database, runID: run.id, wakeup: context.wakeup, logger: context.logger)

        do {
            // Stages holding children (stream exec) stop them when this process is done with the run.
            try await StageLifecycle.around(pipeline.stages, logger: context.logger) {
                await withTaskGroup(of: Void.self) { outer in
                    outer.addTask {
                        await Maintenance(context: context).run(until: { context.workersFinished })
                    }
                    outer.addTask {
                        defer { context.markWorkersFinished() }
                        await work(context: context, seeder: seeding ? seeder : nil)
                    }
                }
            }
        } catch {
            await listener?.stop()
            throw error
        }
        await listener?.stop()
        // Leases this process still holds (abandoned work): give them back at once, riding out
        // a restarting server (left held, they would wait for their lease to end and use an attempt).
        let held = context.allTokens
        if !held.isEmpty {
            var reconnector = Reconnector(budget: options.reconnectBudget, what: "lease release", logger: context.logger)
            _ = try? await reconnector.run { try await setup.withConnection { try Store.releaseLeases($0, tokens: held) } }
        }
        if let fatal = context.fatal { throw fatal }
        return context
    }

    /// The seeder and the workers, until they are done; on the second signal (abort) they
    /// are cancelled and running jq programs halted, so the process never waits on a
    /// transform that does not end.
    private static func work(context: RunContext, seeder: Seeder?) async {
        await withThrowingTaskGroup(of: Bool.self) { group in
            var working = 0
            if let seeder {
                group.addTask { try await seedLoop(seeder, context: context); return true }
                working += 1
            }
            for index in 0..<(context.options.seedOnly ? 0 : context.options.workers) {
                group.addTask { try await Worker(index: index, context: context).run(); return true }
                working += 1
            }
            group.addTask {
                while !context.controller.isAborting { try await Task.sleep(for: .milliseconds(50)) }
                JQWatchdog.shared.haltAll()
                return false
            }
            while working > 0 {
                do {
                    guard let finished = try await group.next() else { break }
                    if finished { working -= 1 } else { break }
                } catch {
                    break
                }
            }
            group.cancelAll()
        }
    }

    /// Refuses runs the file can no longer work, then runs `setup:`.
    private static func prepare(_ pipeline: Pipeline, run: RunRecord, setup: PostgresSession, options: RunOptions,
                                statementsChecked: Bool) async throws {
        // Unfinished items of a stage the file no longer has could never be worked.
        let stageNames = pipeline.stages.map(\.name)
        let orphaned = try await withDatabase(options) {
            try await setup.withConnection { try Store.unfinishedStages($0, runID: run.id) }
        }.filter { !stageNames.contains($0) }
        if !orphaned.isEmpty {
            throw BatonError(.config, """
                run \(run.name) has unfinished items in stage\(orphaned.count == 1 ? "" : "s") \(orphaned.joined(separator: ", ")), \
                which \(pipeline.file ?? "the pipeline") no longer has (stages: \(stageNames.joined(separator: ", "))); \
                restore the stage, or start a new run
                """)
        }
        if !statementsChecked {
            try await withDatabase(options) { try await setup.withConnection { try StatementCheck.check(pipeline, $0) } }
        }
        if !pipeline.setup.isEmpty {
            try await withDatabase(options) { try await setup.withConnection { try runSetup(pipeline, $0) } }
        }
    }

    /// Runs the pipeline's `setup:` SQL in one transaction; an error is a configuration error.
    static func runSetup(_ pipeline: Pipeline, _ conn: Connection) throws {
        guard !pipeline.setup.isEmpty else { return }
        do {
            try conn.transaction { conn in
                // Processes starting the same pipeline at once run its set-up one after the
                // other (concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog).
                try conn.query("SELECT pg_advisory_xact_lock($1)", [Int64(bitPattern: StableHash.fnv1a64("setup\u{1}\(pipeline.name)"))])
                for statement in pipeline.setup { try conn.execute(statement, timeout: .seconds(600)) }
            }
        } catch let error as PostgresError where !error.isConnectionError {
            throw BatonError(.config, "\(pipeline.file ?? pipeline.name): setup SQL failed: \(pipeline.redact(error.description))")
        }
    }

    /// Seeds chunk after chunk, pausing while the first stage's backlog is full (unless the
    /// process only seeds).
    private static func seedLoop(_ seeder: Seeder, context: RunContext) async throws {
        var reconnector = Reconnector(budget: context.options.reconnectBudget, what: "seeding", logger: context.logger)
        do {
            while !context.controller.isStopping && !context.isComplete && !Task.isCancelled {
                if !context.options.seedOnly && context.isBacklogFull(stage: 0) {
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                do {
                    let (done, inserted) = try await seeder.seedNext()
                    reconnector.succeeded()
                    context.adjustBacklog(stage: 0, by: inserted)
                    if done {
                        await seeder.reset()
                        return
                    }
                } catch let error where FailurePolicy.needsReconnect(error) || FailurePolicy.treatment(of: error) == .conflict {
                    // Reconnect and continue from the stored position, as workers do.
                    await seeder.reset()
                    try await reconnector.failed(error)
                }
            }
        } catch is CancellationError {
            return
        } catch let error as BatonError where error.isBadRecord {
            // Seeding in bulk checks each record as it loads it (no check before the run exists):
            // nothing of the run was visible yet, and it goes, as if the check had found the record.
            var reported = error
            if (try? await seeder.discardBulkRun()) == true {
                reported.message += "; nothing was enqueued: run \(context.run.name), seeded in bulk, was removed"
            }
            context.fail(reported)
            throw reported
        } catch {
            context.fail(error)
            throw error
        }
    }

    /// Runs one step against the database outside the workers. The first step of a process
    /// reports a database it cannot reach at all as "unavailable" (exit 69); after that, a
    /// lost connection is ridden out like everywhere else (``Reconnector``).
    @discardableResult
    static func withDatabase<T>(_ options: RunOptions, first: Bool = false, _ body: () async throws -> T) async throws -> T {
        var reconnector = Reconnector(budget: options.reconnectBudget, what: "run set-up", logger: options.logger)
        // A server restarting just as the process starts is given a few seconds.
        let grace = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try await body()
            } catch let error as PostgresError where first && error.code == .connectionFailed {
                guard ContinuousClock.now < grace, !FailurePolicy.isRefusedURL(error) else { throw FailurePolicy.connectionFailure(error) }
                try await Task.sleep(for: .milliseconds(250))
            } catch let error where FailurePolicy.needsReconnect(error) || FailurePolicy.treatment(of: error) == .conflict {
                // A lock timeout or deadlock (another process holds what set-up needs) is tried
                // again like a lost connection, within the same budget.
                try await reconnector.failed(error)
            }
        }
    }
}
