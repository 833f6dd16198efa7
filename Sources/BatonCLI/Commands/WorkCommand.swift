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
            Works every run in state `running`, oldest first, with the pipeline stored with the run \
            (or, with --pipelines DIR, the file of the same pipeline name in DIR). Postgres row locks \
            are the only coordination: start as many as you like, on as many machines as you like. \
            Stops on SIGINT/SIGTERM after in-flight items commit.

            Examples:
              baton work
              baton work --pipelines pipelines/ --workers 8
            """
    )

    @Option(help: "Folder of pipeline files to use instead of the definitions stored with the runs.")
    var pipelines: String?

    @Option(help: "Seconds between looks for new runs when idle.")
    var poll: Double = 1

    @Flag(help: "Exit when no run is left instead of waiting for new ones.")
    var once = false

    @OptionGroup var display: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

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

    private func work(database: ConnectionConfig, controller: RunController, logger: Logger) async throws {
        var failedRuns: Set<Int64> = []
        while !controller.isStopping {
            let runs = try await global.withConnection { conn -> [RunRecord] in
                guard try Store.isCurrent(conn) else { return [] }
                return try Store.activeRuns(conn)
            }
            guard let run = runs.first(where: { !failedRuns.contains($0.id) }) else {
                if once { return }
                try await Task.sleep(for: .seconds(poll))
                continue
            }
            let pipeline: Pipeline
            do {
                pipeline = try loadPipeline(for: run)
            } catch {
                logger.error("cannot load the pipeline of run \(run.name); skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
                failedRuns.insert(run.id)
                continue
            }
            Secrets.register(pipeline.secrets)
            var options = display.runOptions(logger: logger)
            // A worker also seeds when it can read the source (files must exist on this machine).
            options.seed = pipeline.source.definition.isReadableHere
            logger.notice("working run \(run.name) of pipeline \(run.pipeline)", metadata: ["run.id": "\(run.id)"])
            let report: RunReport
            do {
                report = try await RunEngine.work(pipeline, run: run, database: database, options: options, controller: controller)
            } catch let error as PipelineErrors {
                // A statement the database refuses: no use working the run with this definition.
                logger.error("the SQL of run \(run.name) does not prepare; skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
                failedRuns.insert(run.id)
                continue
            } catch let error as BatonError where error.category == .config {
                logger.error("cannot work run \(run.name); skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error.message)"])
                failedRuns.insert(run.id)
                continue
            }
            logger.notice("run \(run.name) is \(report.run.state.rawValue)", metadata: ["run.id": "\(run.id)"])
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
