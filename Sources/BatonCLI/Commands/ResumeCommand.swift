import ArgumentParser
import Baton
import Foundation

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted run until it completes.",
        discussion: """
            Works the run's remaining items (and the rest of its source, if seeding was cut short) \
            with the pipeline file as it is now. Items the stopped process held are taken over \
            once their lease expires. Same as `baton run FILE --run NAME`.

            Example:
              baton resume nightly
            """
    )

    @Argument(help: "Run name or id.")
    var run: String

    @Option(help: "Pipeline file to use instead of the run's own file.")
    var file: String?

    @OptionGroup var display: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.logger()
        let record = try await RunReference.find(run, global: global)
        let pipeline = try RunReference.pipeline(for: record, file: file)
        Secrets.register(pipeline.secrets)
        let database = try global.database()
        try await RunSession(display: display, logger: logger).execute(pipeline, database: database) { options, controller in
            try await RunEngine.work(pipeline, run: record, database: database, options: options, controller: controller)
        }
    }
}
