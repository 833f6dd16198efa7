import ArgumentParser
import Baton
import BatonJQ

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete finished runs older than a duration, with all their rows.",
        discussion: """
            Removes succeeded, failed and cancelled runs (never running ones) whose end is older \
            than --older-than, with their items, attempts, results and counters.

            Examples:
              baton prune --older-than 7d --dry-run
              baton prune --older-than 12h
            """
    )

    @Option(name: .customLong("older-than"), help: "Age such as 30m, 12h, 7d.")
    var olderThan: String

    @Flag(name: .customLong("dry-run"), help: "Change nothing; print what would be removed.")
    var dryRun = false

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        guard let age = DurationSyntax.parse(olderThan) else {
            throw BatonError(.usage, "--older-than \(olderThan): not a duration (write e.g. 30m, 12h, 7d)")
        }
        let dryRun = self.dryRun
        let report = try await global.withConnection { conn -> PruneReport in
            guard try Store.isCurrent(conn) else { return PruneReport(runs: [], items: 0) }
            return try Store.prune(conn, olderThanSeconds: age.seconds, dryRun: dryRun)
        }
        if json {
            print(JSON.object([
                ("dry_run", .bool(dryRun)), ("older_than", .string(olderThan)), ("older_than_seconds", Format.json(seconds: age.seconds)),
                ("runs", .array(report.runs.map(JSON.string))), ("run_count", Format.json(report.runs.count)), ("items", Format.json(report.items)),
            ]).serialized)
            return
        }
        if report.runs.isEmpty {
            print("no finished run older than \(olderThan)")
            return
        }
        print("\(dryRun ? "would remove" : "removed") \(report.runs.count) run\(report.runs.count == 1 ? "" : "s") and \(report.items) item\(report.items == 1 ? "" : "s"):")
        for run in report.runs { print("  \(run)") }
    }
}
