import ArgumentParser
import Baton
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Seed a run of a pipeline and work it to completion.",
        discussion: """
            Validates the file, prepares its SQL against the database (after `setup:`), checks \
            the source, creates a new run (or, with --run NAME of an existing run of the same \
            source, resumes it: no duplicate seeding, no duplicate work), works every stage until \
            nothing is pending or running, then prints a per-stage summary. Without --run every \
            run is new (PIPELINE-YYYYMMDD-HHMMSS-xxxx); --run NAME of a run that read another \
            source (another file, other content, another query) is refused (exit 78). Ctrl-C \
            stops claiming, lets in-flight items commit and exits 130; `baton resume NAME` finishes it.

            Examples:
              baton run pipelines/orders.yaml
              baton run pipelines/orders.yaml --run nightly --workers 8 --json
              baton run pipelines/orders.yaml --seed-only   # then `baton work` on every machine
            """
    )

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(name: .customLong("run"), help: "Run name; an existing run's name resumes it. Default: a new run, PIPELINE-YYYYMMDD-HHMMSS-xxxx (UTC, random suffix).")
    var runName: String?

    @Flag(name: .customLong("seed-only"), help: "Seed the run and exit 0 once every source record is enqueued, without working any item: the run stays running for `baton work` processes (on any machine) or `baton resume`.")
    var seedOnly = false

    @OptionGroup var runOptions: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.logger()
        let pipeline = try PipelineLoader.load(path: file)
        Secrets.register(pipeline.secrets)
        // The log level says it is a warning; the text does not repeat it.
        for warning in pipeline.warnings { logger.warning("\(Secrets.redact(warning.description))") }
        let database = try global.database()
        let name = runName
        try await RunSession(display: runOptions, logger: logger, seedOnly: seedOnly).execute(pipeline, database: database) { options, controller in
            try await RunEngine.run(pipeline, database: database, runName: name, options: options, controller: controller)
        }
    }
}
