import ArgumentParser
import Baton
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Put a run's failed items back in the queue and run them to completion.",
        discussion: """
            Re-reads the pipeline file as it is now (so a fixed transform is used), moves the \
            selected failed items back to pending (attempts reset, history kept) and works the run \
            to the end like `baton run`. Refuses if a selected stage no longer exists in the file. \
            --dry-run changes nothing and prints how many items per stage would be re-run.
            --done also replays items that succeeded: the items they produced downstream are \
            deleted and produced again under the same keys, so downstream work is replaced, \
            not duplicated.

            Examples:
              baton replay nightly --stage enrich --dry-run
              baton replay nightly --stage enrich
              baton replay nightly --error "timed out" --key 42 --key 43
              baton replay nightly --stage shape --done
            """
    )

    @Argument(help: "Run name or id.")
    var run: String

    @Option(name: .customLong("stage"), help: "Only items of this stage (repeatable).")
    var stages: [String] = []

    @Option(name: .customLong("key"), help: "Only the item with this key (repeatable).")
    var keys: [String] = []

    @Option(name: .customLong("error"), help: "Only items whose last error contains this text (case-insensitive).")
    var errorPattern: String?

    @Flag(name: .customLong("dry-run"), help: "Change nothing; print what would be re-run.")
    var dryRun = false

    @Flag(name: .customLong("done"), help: "Also replay items that succeeded (their downstream items are produced again).")
    var includeDone = false

    @Option(help: "Pipeline file to use instead of the run's own file.")
    var file: String?

    @OptionGroup var display: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.logger()
        let record = try await RunReference.find(run, global: global)
        if record.state == .cancelled {
            // Replaying would reopen it and could mark it succeeded with its cancelled items never run.
            throw BatonError(.usage, "run \(record.name) was cancelled; start a new run instead")
        }
        let pipeline = try RunReference.pipeline(for: record, file: file)
        Secrets.register(pipeline.secrets)
        for stage in stages where pipeline.stage(named: stage) == nil {
            throw BatonError(.config, "stage \(stage) does not exist in \(pipeline.file ?? "the pipeline") any more (stages: \(pipeline.stages.map(\.name).joined(separator: ", ")))")
        }
        let selection = ReplaySelection(
            stages: stages.isEmpty ? nil : stages, keys: keys.isEmpty ? nil : keys,
            errorPattern: errorPattern, includeDone: includeDone
        )
        let runID = record.id
        let plan = try await global.withConnection { try Store.planReplay($0, runID: runID, selection: selection) }
        for (stage, _) in plan.perStage where pipeline.stage(named: stage) == nil {
            throw BatonError(.config, "stage \(stage) of run \(record.name) no longer exists in \(pipeline.file ?? "the pipeline"); select other stages with --stage, or restore it")
        }
        if dryRun || plan.total == 0 {
            print(describe(plan, record: record, pipeline: pipeline), terminator: "")
            return
        }
        let maxAttempts = Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.name, $0.retry.maxAttempts) })
        let applied = try await global.withConnection {
            try Store.replay($0, runID: runID, selection: selection, maxAttempts: maxAttempts, pipeline: pipeline)
        }
        LogSetup.message("replaying \(applied.total) item(s) of run \(record.name)", metadata: ["run.id": "\(record.id)", "run.name": "\(record.name)"])
        let database = try global.database()
        let reopened = try await RunReference.find(String(record.id), global: global)
        try await RunSession(display: display, logger: logger).execute(pipeline, database: database) { options, controller in
            try await RunEngine.work(pipeline, run: reopened, database: database, options: options, controller: controller)
        }
    }

    private func describe(_ plan: ReplayPlan, record: RunRecord, pipeline: Pipeline) -> String {
        guard plan.total > 0 else {
            return "nothing to replay in run \(record.name): no \(includeDone ? "finished" : "failed") item matches\n"
        }
        var out = "\(dryRun ? "would re-run" : "re-running") \(plan.total) item\(plan.total == 1 ? "" : "s") of run \(record.name):\n"
        for (stage, count) in plan.perStage {
            out += "  \(stage): \(count)\n"
        }
        if plan.downstream > 0 {
            out += "  and delete \(plan.downstream) downstream item(s) they produced, to produce them again\n"
        }
        if let last = plan.perStage.compactMap({ pipeline.stageIndex($0.stage) }).min(), last + 1 < pipeline.stages.count {
            let after = pipeline.stages[(last + 1)...].map(\.name).joined(separator: " → ")
            out += "their outputs then flow on through \(after)\n"
        }
        return out
    }
}
