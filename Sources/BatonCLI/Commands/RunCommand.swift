import ArgumentParser
import Baton
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Seed a run of a pipeline and work it to completion.",
        discussion: """
            Validates the file, creates the run (or, with --run NAME of an existing run, resumes it: \
            no duplicate seeding, no duplicate work), works every stage until nothing is pending or \
            running, then prints a per-stage summary. Ctrl-C stops claiming, lets in-flight items \
            commit and exits 130; run it again with the same --run to finish.

            Examples:
              baton run pipelines/orders.yaml
              baton run pipelines/orders.yaml --run nightly --workers 8 --json
            """
    )

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(name: .customLong("run"), help: "Run name; an existing run's name resumes it. Default: PIPELINE-YYYYMMDD-HHMMSS (UTC).")
    var runName: String?

    @OptionGroup var runOptions: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.logger()
        let pipeline = try PipelineLoader.load(path: file)
        Secrets.register(pipeline.secrets)
        let database = try global.database()
        let name = runName
        try await RunSession(display: runOptions, logger: logger).execute(pipeline, database: database) { options, controller in
            try await RunEngine.run(pipeline, database: database, runName: name, options: options, controller: controller)
        }
    }
}
