import ArgumentParser
import Baton

struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Stream the outputs of a run's last stage (baton.results).",
        discussion: """
            Only for pipelines whose last stage is not a sql stage (a sql stage writes to your own \
            tables instead). Streams in key order without loading everything in memory.

            Examples:
              baton results nightly
              baton results nightly --jsonl > out.jsonl
            """
    )

    @Argument(help: "Run name or id.")
    var run: String

    @Flag(help: "Only the JSON payloads, one per line.")
    var jsonl = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        let record = try await RunReference.find(run, global: global)
        let jsonl = self.jsonl
        try await global.withConnection { conn in
            try Store.results(conn, runID: record.id) { key, payload in
                print(jsonl ? payload : "\(key)\t\(payload)")
            }
        }
    }
}
