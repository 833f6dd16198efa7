import ArgumentParser
import Baton
import Foundation

struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Stream the outputs of a run's last stage (baton.results).",
        discussion: """
            Only for pipelines whose last stage is not a sql stage (a sql stage writes to your own \
            tables instead; then this says which). Streams in key order without loading \
            everything in memory.

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
        let runID = record.id
        let (count, last) = try await global.withConnection { conn -> (Int, (name: String, kind: String)?) in
            var count = 0
            try Store.results(conn, runID: runID) { key, payload in
                count += 1
                print(jsonl ? payload : "\(key)\t\(payload)")
            }
            return (count, try Store.storedStages(conn, runID: runID).last)
        }
        guard count == 0, let last, last.kind == "sql" else { return }
        let statement = (try? RunReference.pipeline(for: record, file: nil))?.stage(named: last.name)
            .flatMap { ($0.transform as? SQLTransform)?.statement }
        var message = "run \(record.name) has no results: its last stage, \(last.name), is a sql stage, so its statement wrote the rows to your own tables"
        if let statement {
            let flat = statement.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if let table = Self.targetTable(flat) { message += " (table \(table))" }
            message += ": \(flat.count > 100 ? String(flat.prefix(100)) + "…" : flat)"
        }
        message += "; query them there"
        if case .embedded = DatabaseLocator().choose(explicitURL: global.databaseURL) {
            message += " (`baton postgres status` prints how to reach the local database with psql)"
        }
        LogSetup.message(message)
    }

    /// The table of `insert into T`, `update T`, `merge into T`, `delete from T`.
    static func targetTable(_ statement: String) -> String? {
        let words = statement.split(separator: " ").map(String.init)
        for (index, word) in words.enumerated() where index + 1 < words.count {
            let lower = word.lowercased()
            if ["into", "update"].contains(lower) || (lower == "from" && index > 0 && words[index - 1].lowercased() == "delete") {
                return words[index + 1].split(separator: "(").first.map(String.init)
            }
        }
        return nil
    }
}
