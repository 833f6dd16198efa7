import ArgumentParser
import Baton
import BatonJQ

struct FailuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures",
        abstract: "Show a run's failed items grouped by cause, with example keys.",
        discussion: """
            Groups by stage, error class (http 404, sqlstate 23505, jq, bad record…) and message \
            (numbers folded), largest group first.

            Examples:
              baton failures nightly
              baton failures nightly --stage enrich --json
            """
    )

    @Argument(help: "Run name or id.")
    var run: String

    @Option(help: "Only this stage.")
    var stage: String?

    @Option(help: "Example keys per group.")
    var examples = 3

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        let record = try await RunReference.find(run, global: global)
        let stage = self.stage
        let examples = self.examples
        let groups = try await global.withConnection { try Store.failureGroups($0, runID: record.id, stage: stage, examples: examples) }
        if json {
            let document = JSON.object([
                ("run", .string(record.name)),
                ("failed", .number(Double(groups.reduce(0) { $0 + $1.count }))),
                ("groups", .array(groups.map { g in
                    .object([
                        ("stage", .string(g.stage)), ("error_class", .string(g.errorClass)), ("count", .number(Double(g.count))),
                        ("pattern", .string(g.pattern)), ("example_message", .string(g.exampleMessage)),
                        ("example_keys", .array(g.exampleKeys.map(JSON.string))),
                    ])
                })),
            ])
            print(Secrets.redact(document.serialized))
            return
        }
        let total = groups.reduce(0) { $0 + $1.count }
        guard total > 0 else {
            print("run \(record.name): no failed items\(stage.map { " in stage \($0)" } ?? "")")
            return
        }
        print("run \(record.name): \(total) failed item\(total == 1 ? "" : "s") in \(groups.count) group\(groups.count == 1 ? "" : "s")")
        for group in groups {
            print("")
            print("\(group.count) × stage \(group.stage) · \(group.errorClass)")
            print("  \(Secrets.redact(group.exampleMessage))")
            print("  e.g. keys: \(group.exampleKeys.joined(separator: ", "))")
        }
        print("")
        print("after fixing the cause: baton replay \(record.name)\(stage.map { " --stage \($0)" } ?? "") --dry-run")
    }
}
