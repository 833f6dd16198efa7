import ArgumentParser
import Baton
import BatonJQ
import BatonPostgres
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Put a run's failed items back in the queue and run them to completion.",
        discussion: """
            Re-reads the pipeline file as it is now (so a fixed transform is used), moves the \
            selected failed items back to pending (attempts reset, history kept) and works the run \
            to the end like `baton run`. Refuses if a selected stage no longer exists in the file. \
            --dry-run changes nothing and prints how many items per stage would be re-run (it needs \
            neither the source nor, if it is gone, the pipeline file).
            Bad records (malformed source records kept by `on_error: skip`) are read again from the \
            source as it is now: a line that parses now enters the first stage with its real key, a \
            line still malformed stays failed with the new error. Bad records of a sql or http \
            source, or of a glob or folder, are left out (their records cannot be read again one by one).
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
        try RunReference.checkStages(stages, of: record, known: try await RunReference.stageNames(of: record, global: global))
        let pipeline = try pipelineToReplay(record)
        if includeDone, let pipeline {
            try Self.checkFusedStages(stages, of: pipeline)
        }
        let selection = ReplaySelection(
            stages: stages.isEmpty ? nil : stages, keys: keys.isEmpty ? nil : keys,
            errorPattern: errorPattern, includeDone: includeDone
        )
        let runID = record.id
        let keys = self.keys
        let (plan, badRecords, keyed, storedStages) = try await global.withConnection { conn in
            (try Store.planReplay(conn, runID: runID, selection: selection), try Store.badRecords(conn, runID: runID, selection: selection),
             keys.isEmpty ? [] : try Store.itemsWithKeys(conn, runID: runID, keys: keys), try Store.storedStages(conn, runID: runID).map(\.name))
        }
        try checkKeys(keyed, record: record)
        if let pipeline {
            for (stage, _) in plan.perStage where pipeline.stage(named: stage) == nil {
                throw BatonError(.config, "stage \(stage) of run \(record.name) no longer exists in \(pipeline.file ?? "the pipeline"); select other stages with --stage, or restore it")
            }
        }
        let source = record.source
        let rereads = BadRecordNotes.rereads(pipeline, source)
        let sourceKind = BadRecordNotes.kind(pipeline, source)
        let sourceName = pipeline?.source.definition.displayName ?? source?.path ?? source?.described ?? "the source"
        let stageNames = pipeline?.stages.map(\.name) ?? storedStages
        let preview = Preview(plan: plan, badRecords: badRecords, rereads: rereads, sourceName: sourceName, sourceKind: sourceKind, stages: stageNames,
                              keyed: keyed, includeDone: includeDone)
        if rereads, !badRecords.isEmpty, let pipeline, let started = source {
            try Self.checkSameSource(pipeline, started: started, run: record.name)
        }
        if dryRun || (plan.total == 0 && (badRecords.isEmpty || !rereads)) {
            print(display.json ? preview.json(record: record, dryRun: dryRun) : preview.text(record: record, dryRun: dryRun), terminator: "")
            return
        }
        guard let pipeline else { return }
        let database = try global.database()

        // Bad records are read again first: a source that cannot be read stops the replay
        // before anything changed.
        let reread = rereads && !badRecords.isEmpty
            ? try await Self.reread(badRecords, of: record, pipeline: pipeline, database: database) : []
        try await apply(plan, selection: selection, reread: reread, badRecords: badRecords, of: record, pipeline: pipeline,
                        sourceName: sourceName, sourceKind: sourceKind)
        let reopened = try await RunReference.find(String(record.id), global: global)
        try await RunSession(display: display, logger: logger).execute(pipeline, database: database) { options, controller in
            try await RunEngine.work(pipeline, run: reopened, database: database, options: options, controller: controller)
        }
    }

    /// The pipeline the replay works with: the run's file (or `--file`) as it is now. A dry
    /// run changes nothing: it can go without the file (and its source), nil then.
    private func pipelineToReplay(_ record: RunRecord) throws -> Pipeline? {
        let pipeline: Pipeline?
        do {
            pipeline = try RunReference.pipeline(for: record, file: file)
        } catch where dryRun {
            pipeline = nil
        }
        if let pipeline {
            Secrets.register(pipeline.secrets)
            for stage in stages where pipeline.stage(named: stage) == nil {
                throw BatonError(.config, "stage \(stage) does not exist in \(pipeline.file ?? "the pipeline") any more (stages: \(pipeline.stages.map(\.name).joined(separator: ", ")))")
            }
        }
        return pipeline
    }

    /// Reads the bad records again from the source (off the cooperative pool), with what each is now.
    private static func reread(_ badRecords: [BadRecord], of record: RunRecord, pipeline: Pipeline,
                               database: ConnectionConfig) async throws -> [(BadRecord, RereadRecord)] {
        let first = pipeline.stages[0].name
        if let elsewhere = badRecords.first(where: { $0.stage != first }) {
            throw BatonError(.config, "the bad records of run \(record.name) are in stage \(elsewhere.stage), but the pipeline's first stage is now \(first); restore the stage name to replay them")
        }
        let outcomes = try await Self.offThePool { try BadRecordRereader(pipeline: pipeline, database: database).reread(badRecords) }
        return badRecords.compactMap { bad in outcomes[bad.id].map { (bad, $0) } }
    }

    /// Puts the selected items and the re-read bad records back in the queue.
    private func apply(_ plan: ReplayPlan, selection: ReplaySelection, reread: [(BadRecord, RereadRecord)], badRecords: [BadRecord],
                       of record: RunRecord, pipeline: Pipeline, sourceName: String, sourceKind: String?) async throws {
        let runID = record.id
        if plan.total > 0 {
            let maxAttempts = Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.name, $0.retry.maxAttempts) })
            let applied = try await global.withConnection {
                try Store.replay($0, runID: runID, selection: selection, maxAttempts: maxAttempts, pipeline: pipeline)
            }
            LogSetup.message("replaying \(applied.total) item(s) of run \(record.name)", metadata: ["run.id": "\(record.id)", "run.name": "\(record.name)"])
        }
        if !reread.isEmpty {
            let stage = pipeline.stages[0]
            let outcomes = reread
            let result = try await global.withConnection {
                try Store.replayBadRecords($0, runID: runID, stage: stage.name, maxAttempts: stage.retry.maxAttempts, outcomes: outcomes, pipeline: pipeline)
            }
            LogSetup.message(Self.describe(result, reread, sourceName: sourceName, stage: stage.name),
                             metadata: ["run.id": "\(record.id)", "run.name": "\(record.name)"])
        } else if !badRecords.isEmpty {
            LogSetup.message(Preview.leftOut(badRecords.count, sourceName: sourceName, kind: sourceKind), metadata: ["run.name": "\(record.name)"])
        }
    }

    /// A fused stage (``Stage/runsInline``) keeps no done items of its own: they ran in the
    /// transaction of the stage before them. `--done --stage` of it would replay almost
    /// nothing, silently; the stage that feeds it re-runs both.
    static func checkFusedStages(_ names: [String], of pipeline: Pipeline) throws {
        for name in names {
            guard let index = pipeline.stages.firstIndex(where: { $0.name == name }), index > 0,
                  pipeline.stages[index].runsInline else { continue }
            var feeder = index - 1
            while feeder > 0, pipeline.stages[feeder].runsInline { feeder -= 1 }
            throw BatonError(.usage, "stage \(name) is fused: its items run inside the transaction of stage "
                + "\(pipeline.stages[feeder].name) and only their counts are kept, so `--done --stage \(name)` has no items to replay; "
                + "`--done --stage \(pipeline.stages[feeder].name)` re-runs both (set `fuse: false` on \(name) to keep its items)")
        }
    }

    /// Bad records are line numbers of the file the run read: reading them again from another
    /// file (`jsonl: ${IN}` with IN set otherwise now) would load that file's lines into the
    /// run. The content may differ (the fix); the kind and the path may not.
    static func checkSameSource(_ pipeline: Pipeline, started: SourceIdentity, run: String) throws {
        guard pipeline.source.definition.isReadableHere, let now = try? pipeline.source.definition.identity() else { return }
        guard started.kind != now.kind || started.path != now.path else { return }
        throw BatonError(.config, "run \(run) read \(started.described), but the pipeline's source is now \(now.described): "
            + "its bad records are line numbers of the file the run read, so they are read again only from that file "
            + "(point the source at it again, e.g. the same ${VAR} value, or give the pipeline file with --file)")
    }

    /// Exit 64 for a `--key` no item of the run has (a typo), with a suggestion.
    private func checkKeys(_ keyed: [(key: String, stage: String, state: String)], record: RunRecord) throws {
        let found = Set(keyed.map { ExactText($0.key) })
        let missing = keys.filter { !found.contains(ExactText($0)) }
        guard !missing.isEmpty else { return }
        throw BatonError(.usage, "run \(record.name) has no item with key \(missing.joined(separator: ", ")) (in any stage; keys are as `baton failures \(record.name)` and `baton explain` show them)")
    }

    /// `re-read 2 bad records from FILE: 1 now valid, entering stage load (line 501 → key 500); 1 still bad (line 701: …)`.
    static func describe(_ result: BadRecordReplay, _ reread: [(BadRecord, RereadRecord)], sourceName: String, stage: String) -> String {
        var valid: [String] = []
        var bad: [String] = []
        for (record, outcome) in reread.sorted(by: { $0.0.line < $1.0.line }) {
            switch outcome {
            case .fixed(let key, _): valid.append("line \(record.line) → key \(key)")
            case .stillBad(let error, _): bad.append("line \(record.line): \(error)")
            }
        }
        var parts: [String] = []
        if result.fixed > 0 { parts.append("\(result.fixed) now valid, entering stage \(stage) (\(valid.prefix(5).joined(separator: ", "))\(valid.count > 5 ? ", …" : ""))") }
        if result.duplicates > 0 { parts.append("\(result.duplicates) now valid but a duplicate of an item already in the stage (counted as deduplicated)") }
        if result.stillBad > 0 { parts.append("\(result.stillBad) still bad (\(bad.prefix(3).joined(separator: "; "))\(bad.count > 3 ? "; …" : ""))") }
        return "re-read \(Format.count(reread.count, "bad record")) from \(sourceName): " + parts.joined(separator: "; ")
    }

    /// Runs blocking work (file reads) on a thread of its own, not Swift's cooperative pool.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// What a replay would do, as text or JSON.
    struct Preview {
        var plan: ReplayPlan
        var badRecords: [BadRecord]
        var rereads: Bool
        var sourceName: String
        /// The source's kind as stored with runs (`files`, `sql`, `http`, …).
        var sourceKind: String?
        var stages: [String]
        var keyed: [(key: String, stage: String, state: String)]
        var includeDone: Bool

        func text(record: RunRecord, dryRun: Bool) -> String {
            guard plan.total > 0 || !badRecords.isEmpty else {
                var out = "nothing to replay in run \(record.name): no \(includeDone ? "finished" : "failed") item matches\n"
                let unselected = keyed.filter { !(includeDone ? ["failed", "done", "skipped"] : ["failed"]).contains($0.state) }
                for item in unselected.prefix(5) {
                    out += "  \(item.stage)/\(item.key) is \(item.state)\(item.state == "done" || item.state == "skipped" ? " (add --done to replay it)" : "")\n"
                }
                return out
            }
            var out = ""
            if plan.total > 0 {
                out += "\(dryRun ? "would re-run" : "re-running") \(plan.total) item\(plan.total == 1 ? "" : "s") of run \(record.name):\n"
                for (stage, count) in plan.perStage {
                    out += "  \(stage): \(count)\n"
                }
                if plan.downstream > 0 {
                    out += "  and delete \(plan.downstream) downstream item(s) they produced, to produce them again\n"
                }
            }
            if !badRecords.isEmpty {
                let lines = badRecords.map { String($0.line) }
                let shown = lines.prefix(10).joined(separator: ", ") + (lines.count > 10 ? ", …" : "")
                if rereads {
                    out += "\(dryRun ? "would re-read" : "re-reading") \(Format.count(badRecords.count, "bad record")) of stage \(badRecords[0].stage) from \(sourceName) (line\(lines.count == 1 ? "" : "s") \(shown)): "
                        + "a line that parses now enters the stage with its real key; a line still malformed stays failed with the new error\n"
                } else {
                    out += Self.leftOut(badRecords.count, sourceName: sourceName, kind: sourceKind) + "\n"
                }
            }
            let first = plan.perStage.compactMap { stages.firstIndex(of: $0.stage) }.min() ?? (badRecords.isEmpty || !rereads ? nil : 0)
            if let first, first + 1 < stages.count {
                out += "their outputs then flow on through \(stages[(first + 1)...].joined(separator: " → "))\n"
            }
            return out
        }

        static func leftOut(_ count: Int, sourceName: String, kind: String?) -> String {
            "leaving out \(Format.count(count, "bad record")) of \(sourceName): \(BadRecordNotes.whyLeftOut(kind))"
        }

        func json(record: RunRecord, dryRun: Bool) -> String {
            JSON.object([
                ("run", .string(record.name)), ("dry_run", .bool(dryRun)), ("items", Format.json(plan.total)),
                ("stages", .array(plan.perStage.map { .object([("stage", .string($0.stage)), ("items", Format.json($0.items))]) })),
                ("downstream", Format.json(plan.downstream)),
                ("bad_records", .object([
                    ("count", Format.json(badRecords.count)), ("lines", .array(badRecords.map { Format.json($0.line) })),
                    ("source", .string(sourceName)), ("action", .string(badRecords.isEmpty ? "none" : rereads ? "re-read" : "left out")),
                ])),
                ("keys", .array(keyed.map { .object([("key", .string($0.key)), ("stage", .string($0.stage)), ("state", .string($0.state))]) })),
            ]).serialized + "\n"
        }
    }
}
