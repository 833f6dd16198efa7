import ArgumentParser
import Baton
import BatonPostgres
import Foundation
import Logging

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "A long-lived worker for the items of any running run (for many machines).",
        discussion: """
            Works every run in state `running` at once (up to --max-runs, oldest first, each with its \
            own --workers workers, by default its pipeline's `workers:`, else 4), with the pipeline stored with the run (or, with --pipelines DIR, \
            the file of the same pipeline name in DIR); runs started later are picked up within \
            --poll seconds. Postgres row locks are the only coordination: start as many as you like, \
            on as many machines as you like. Stops on SIGINT/SIGTERM after in-flight items commit.

            Examples:
              baton work
              baton work --pipelines pipelines/ --workers 8
            """
    )

    @Option(help: "Folder of pipeline files to use instead of the definitions stored with the runs.")
    var pipelines: String?

    @Option(help: "Seconds between looks for new runs when idle.")
    var poll: Double = 1

    @Option(name: .customLong("max-runs"), help: "Runs worked at once, each with its own --workers workers; more running runs wait for a free slot (oldest first).")
    var maxRuns: Int = 4

    @Flag(help: "Exit when no run is left instead of waiting for new ones.")
    var once = false

    @OptionGroup var display: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard maxRuns >= 1 else { throw ValidationError("--max-runs must be at least 1") }
    }

    func run() async throws {
        let logger = global.logger()
        let database = try global.database()
        let controller = RunController()
        let signals = SignalHandlers(controller: controller)
        defer { signals.cancel() }
        let metrics = try display.startMetrics(database: database)
        do {
            try await work(database: database, controller: controller, logger: logger)
        } catch {
            await metrics?.stop()
            throw error
        }
        await metrics?.stop()
    }

    /// Keeps up to `--max-runs` running runs worked at once, each with its own `--workers`
    /// workers (a fair share: a long run does not starve the others), looking for new runs
    /// every `--poll` seconds; on a stop request every run drains, then this returns.
    private func work(database: ConnectionConfig, controller: RunController, logger: Logger) async throws {
        let state = WorkSlots()
        try await withThrowingTaskGroup(of: Void.self) { group in
            while !controller.isStopping, state.fatal == nil {
                let runs = try await global.withConnection { conn -> [RunRecord] in
                    guard try Store.isCurrent(conn) else { return [] }
                    return try Store.activeRuns(conn)
                }
                let waiting = runs.filter { !state.isSkipped($0.id) && !state.isWorking($0.id) }
                if waiting.isEmpty && state.workingCount == 0 && once { break }
                for run in waiting.prefix(max(0, maxRuns - state.workingCount)) {
                    guard let pipeline = load(run, state: state, logger: logger) else { continue }
                    var options = display.runOptions(for: pipeline, logger: logger)
                    // A worker also seeds when it can read the source (files must exist on this machine).
                    options.seed = pipeline.source.definition.isReadableHere
                    // One heartbeat row and one lease prefix per run this process works.
                    options.workerName = RunOptions.defaultWorkerName() + "@r\(run.id)"
                    let runController = RunController()
                    state.start(run.id, controller: runController)
                    group.addTask {
                        defer { state.finish(run.id) }
                        try await Self.work(run, pipeline: pipeline, database: database, options: options,
                                            controller: runController, state: state, logger: logger)
                    }
                }
                // Stop requests reach every run's controller (the second one aborts them too).
                let deadline = ContinuousClock.now + .seconds(poll)
                while ContinuousClock.now < deadline && !controller.isStopping && state.fatal == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            while state.workingCount > 0 {
                state.forward(controller)
                try await Task.sleep(for: .milliseconds(50))
            }
            try await group.waitForAll()
        }
        if let fatal = state.fatal { throw fatal }
    }

    private func load(_ run: RunRecord, state: WorkSlots, logger: Logger) -> Pipeline? {
        do {
            let pipeline = try loadPipeline(for: run)
            Secrets.register(pipeline.secrets)
            return pipeline
        } catch {
            logger.error("cannot load the pipeline of run \(run.name); skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
            state.skip(run.id)
            return nil
        }
    }

    /// Works one run until it is complete or this process stops; a run this process cannot
    /// work (its SQL does not prepare, its definition is refused) is skipped from then on.
    private static func work(_ run: RunRecord, pipeline: Pipeline, database: ConnectionConfig, options: RunOptions,
                             controller: RunController, state: WorkSlots, logger: Logger) async throws {
        logger.notice("working run \(run.name) of pipeline \(run.pipeline)", metadata: ["run.id": "\(run.id)"])
        do {
            let report = try await RunEngine.work(pipeline, run: run, database: database, options: options, controller: controller)
            logger.notice("run \(run.name) is \(report.run.state.rawValue)", metadata: ["run.id": "\(run.id)"])
        } catch let error as PipelineErrors {
            // A statement the database refuses: no use working the run with this definition.
            logger.error("the SQL of run \(run.name) does not prepare; skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
            state.skip(run.id)
        } catch let error as BatonError where error.category == .config || error.category == .usage {
            logger.error("cannot work run \(run.name); skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error.message)"])
            state.skip(run.id)
        } catch {
            // The database is gone for good (past the reconnect budget): every run stops.
            state.failAll(error)
        }
    }

    private func loadPipeline(for run: RunRecord) throws -> Pipeline {
        if let pipelines {
            for ext in ["yaml", "yml", "json"] {
                let path = "\(pipelines)/\(run.pipeline).\(ext)"
                if FileManager.default.fileExists(atPath: path) { return try PipelineLoader.load(path: path) }
            }
        }
        return try RunReference.pipeline(for: run, file: nil)
    }
}
