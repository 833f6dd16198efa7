import ArgumentParser
import Baton
import BatonJQ

struct FailuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures",
        abstract: "Show a run's failed items grouped by cause, with example keys.",
        discussion: """
            Groups by stage, error class (http 404, sqlstate 23505, jq, bad record…) and message \
            pattern (every number folded to N, whatever its format), largest group first; each \
            group shows its pattern, one full example and example keys. For bad records it says \
            what `baton replay` does with them. The 20 largest groups are shown (`--limit`), then \
            how many more there are and how many items they hold.

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

    @Option(help: "Groups shown, largest first; 0 shows every group. --json lists every group.")
    var limit = 20

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (every group) or more, got \(limit)") }
        guard examples >= 1 else { throw ValidationError("--examples must be 1 or more, got \(examples)") }
    }

    func run() async throws {
        _ = global.logger()
        let record = try await RunReference.find(run, global: global)
        if let stage { try RunReference.checkStages([stage], of: record, known: try await RunReference.stageNames(of: record, global: global)) }
        let stage = self.stage
        let examples = max(1, self.examples)
        let groups = try await global.withConnection { try Store.failureGroups($0, runID: record.id, stage: stage, examples: examples) }
        let pipeline = try? RunReference.pipeline(for: record, file: nil)
        let sourceName = pipeline?.source.definition.displayName ?? record.source?.path ?? record.source?.described ?? "the source"
        let rereads = BadRecordNotes.rereads(pipeline, record.source)
        let sourceKind = BadRecordNotes.kind(pipeline, record.source)
        func replay(_ group: FailureGroup) -> String {
            guard group.errorClass == "bad record" else { return "reset" }
            return rereads ? "re-read" : "left out"
        }
        if json {
            let document = JSON.object([
                ("run", .string(record.name)),
                ("failed", .number(Double(groups.reduce(0) { $0 + $1.count }))),
                ("groups", .array(groups.map { g in
                    .object([
                        ("stage", .string(g.stage)), ("error_class", .string(g.errorClass)), ("count", .number(Double(g.count))),
                        ("pattern", .string(g.pattern)), ("example_key", g.exampleKeys.first.map(JSON.string) ?? .null),
                        ("example_message", .string(g.exampleMessage)), ("example_keys", .array(g.exampleKeys.map(JSON.string))),
                        ("replay", .string(replay(g))),
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
        var out = "run \(record.name): \(total) failed item\(total == 1 ? "" : "s") in \(groups.count) group\(groups.count == 1 ? "" : "s")\n"
        let shown = limit > 0 ? Array(groups.prefix(limit)) : groups
        for group in shown {
            out += "\n\(group.count) × stage \(group.stage) · \(group.errorClass)\n"
            if group.pattern != group.exampleMessage { out += "  pattern: \(group.pattern)\n" }
            out += "  e.g. \(group.exampleKeys.first ?? "?"): \(group.exampleMessage)\n"
            out += "  keys: \(group.exampleKeys.joined(separator: ", "))\(group.count > group.exampleKeys.count ? ", …" : "")\n"
            if group.errorClass == "bad record" {
                out += rereads
                    ? "  replay reads these lines again from \(sourceName) as it is now: a line that parses now enters stage \(group.stage) with its real key; a line still malformed stays failed with the new error\n"
                    : "  replay leaves these out: \(BadRecordNotes.whyLeftOut(sourceKind))\n"
            }
        }
        if shown.count < groups.count {
            let rest = groups.dropFirst(shown.count)
            let items = rest.reduce(0) { $0 + $1.count }
            out += "\n… and \(rest.count) more group\(rest.count == 1 ? "" : "s") holding \(items) failed item\(items == 1 ? "" : "s") (--limit 0 shows them all)\n"
        }
        out += "\nafter fixing the cause: baton replay \(record.name)\(stage.map { " --stage \($0)" } ?? "") --dry-run\n"
        print(Secrets.redact(out), terminator: "")
    }
}
