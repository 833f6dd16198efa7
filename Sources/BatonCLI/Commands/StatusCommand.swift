import ArgumentParser
import Baton
import BatonJQ
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show recent runs, or one run's per-stage counts.",
        discussion: """
            Without RUN: the recent runs (name, state, items done by the last stage, failed and \
            pending items, active duration). A run in state running that no process works any \
            more (it was interrupted or killed) shows as `interrupted`: continue it with \
            `baton resume RUN`. With RUN: per-stage counts, throughput and latency, the oldest \
            pending item's age, items produced by an older version of a stage, and the processes \
            working it with their last heartbeat.

            Examples:
              baton status
              baton status nightly --json
            """
    )

    @Argument(help: "Run name or id.")
    var run: String?

    @Option(help: "How many recent runs to list.")
    var limit = 20

    @Flag(help: "Print one JSON document.")
    var json = false

    @Flag(help: "Show every column, however wide (default: fit the terminal, else 80 columns).")
    var wide = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        if let reference = run {
            try await showRun(reference)
        } else {
            try await listRuns()
        }
    }

    /// One run of the list, with what the table and the JSON show.
    struct Listed: Sendable {
        var run: RunRecord
        var counts: [String: Int]
        var lastStageDone: Int
        var attended: Bool
        var activeSeconds: Double?

        var displayState: String { run.state == .running && !attended ? "interrupted" : run.state.rawValue }
        /// Active time (busy periods, pauses of over 10 s left out, as `status RUN` shows it);
        /// time since the start while a run has nothing committed yet.
        var duration: Double {
            activeSeconds ?? (run.finishedAt ?? Date()).timeIntervalSince(run.createdAt)
        }
    }

    private func listRuns() async throws {
        if let why = global.missingLocalCluster() {
            if json { print(JSON.object([("runs", .array([]))]).serialized) } else { print("no runs yet: \(why)") }
            return
        }
        let limit = self.limit
        let rows = try await global.withConnection { conn -> [Listed] in
            guard try Store.isCurrent(conn) else {
                // An older store holds runs this baton cannot list as they are: say so, not "no runs yet".
                if let older = try Store.olderSchema(conn) { throw BatonError(.usage, older) }
                return []
            }
            let attended = try Store.attendedRuns(conn)
            return try Store.recentRuns(conn, limit: limit).map { run in
                var counts: [String: Int] = [:]
                for state in ["pending", "running", "done", "skipped", "failed", "cancelled"] { counts[state] = 0 }
                let byStage = try Store.stageCounts(conn, runID: run.id)
                for (_, byState) in byStage {
                    for (state, n) in byState { counts[state.rawValue, default: 0] += n }
                }
                let last = try Store.storedStages(conn, runID: run.id).last?.name
                let lastDone = last.flatMap { byStage[$0]?[.done] } ?? 0
                let active = try Store.activity(conn, runID: run.id).runSeconds
                return Listed(run: run, counts: counts, lastStageDone: lastDone, attended: attended.contains(run.id), activeSeconds: active)
            }
        }
        if json {
            let runs: [JSON] = rows.map { row in
                .object([
                    ("id", .number(Double(row.run.id))), ("name", .string(row.run.name)), ("pipeline", .string(row.run.pipeline)),
                    ("state", .string(row.run.state.rawValue)), ("display_state", .string(row.displayState)),
                    ("created_at", Format.json(row.run.createdAt)), ("finished_at", Format.json(row.run.finishedAt)),
                    ("duration_seconds", Format.json(seconds: row.duration)), ("seeded", Format.json(row.run.seeded)),
                    ("last_stage_done", Format.json(row.lastStageDone)),
                    ("counts", .object(row.counts.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ])
            }
            print(JSON.object([("runs", .array(runs))]).serialized)
            return
        }
        guard !rows.isEmpty else {
            print("no runs yet")
            return
        }
        let columns = [
            Table.Column("id"), Table.Column("run"), Table.Column("state"), Table.Column("started", priority: 1),
            Table.Column("duration", priority: 2), Table.Column("seeded", priority: 3), Table.Column("done"),
            Table.Column("skipped", priority: 5, onlyWhenUsed: !wide), Table.Column("failed"), Table.Column("pending"),
            Table.Column("pipeline", priority: 4),
        ]
        let table = rows.map { row -> [String] in
            [
                "\(row.run.id)", row.run.name, row.displayState, Format.minute(row.run.createdAt),
                SummaryRenderer.seconds(row.duration), "\(row.run.seeded)", "\(row.lastStageDone)", "\(row.counts["skipped"] ?? 0)",
                "\(row.counts["failed"] ?? 0)", "\((row.counts["pending"] ?? 0) + (row.counts["running"] ?? 0))", row.run.pipeline,
            ]
        }
        var hidden = false
        var out = Table(columns: columns, rows: table).render(width: OutputWidth.limit(wide: wide), hidden: &hidden)
        if hidden { out += "(more columns: --wide)\n" }
        out += "(done: items through the last stage; failed and pending: items of any stage)\n"
        for row in rows where row.displayState == "interrupted" {
            out += "run \(row.run.name) is interrupted: no process works it; continue it with `baton resume \(row.run.name)`\n"
            out += "  (or end it: `baton cancel \(row.run.name)`)\n"
        }
        print(out, terminator: "")
    }

    private func showRun(_ reference: String) async throws {
        let record = try await RunReference.find(reference, global: global)
        // Compare with the stage definitions as they are now, when the file can be read.
        let current = try? RunReference.pipeline(for: record, file: nil)
        let stages: [(name: String, hash: String?)] = current?.stages.map { ($0.name, $0.definitionHash) } ?? []
        let (summaries, detail, workers, activity) = try await global.withConnection { conn in
            (try Store.stageSummaries(conn, runID: record.id, stages: stages), try Store.statusDetail(conn, runID: record.id),
             try Store.workers(conn, runID: record.id), try Store.activity(conn, runID: record.id))
        }
        let alive = workers.filter(\.isAlive)
        let gone = workers.filter { !$0.isAlive && $0.heldItems > 0 }
        let interrupted = record.state == .running && alive.isEmpty
        let displayState = interrupted ? "interrupted" : record.state.rawValue
        if json {
            let document = Self.json(record, displayState: displayState, summaries: summaries, detail: detail, workers: workers,
                                     activity: activity)
            print(Secrets.redact(document.serialized))
            return
        }
        var out = "run \(record.name) (id \(record.id)) of pipeline \(record.pipeline): \(displayState)\n"
        var seeded = "seeded \(record.seeded) item(s)"
        if !record.seedDone {
            seeded += " so far\(record.sourceTotal.map { " of \($0)" } ?? "") (seeding not finished)"
        }
        // One fact per line: they fit 80 columns.
        out += "started \(Format.timestamp(record.createdAt))"
        if let active = activity.runSeconds { out += "; worked for \(SummaryRenderer.seconds(active))" }
        out += "\n\(seeded)\n\n"
        out += SummaryRenderer.stageTable(summaries, width: OutputWidth.limit(wide: wide), running: true)
        if let age = detail.oldestPendingSeconds {
            out += "oldest pending item: \(ProgressRenderer.duration(age)) old\n"
        }
        for s in summaries where s.olderVersion > 0 {
            out += "\(s.olderVersion) item(s) were produced by an older version of stage \(s.name)\n"
        }
        if !alive.isEmpty {
            let lines = alive.map { "\($0.name) (heartbeat \(ProgressRenderer.duration($0.secondsSinceSeen)) ago, holding \($0.heldItems) item\($0.heldItems == 1 ? "" : "s"))" }
            out += "workers: " + lines.joined(separator: "\n         ") + "\n"
        }
        if !gone.isEmpty {
            let held = gone.reduce(0) { $0 + $1.heldItems }
            let who = gone.map { worker in
                worker.secondsSinceSeen.isFinite ? "\(worker.name), last heartbeat \(ProgressRenderer.duration(worker.secondsSinceSeen)) ago" : worker.name
            }
            out += "\(held) item\(held == 1 ? "" : "s") still leased by stopped process\(gone.count == 1 ? "" : "es") (\(who.joined(separator: "; "))):\n"
                + "  their leases expire and any worker takes them over\n"
        }
        if interrupted {
            out += "no process works this run (interrupted or killed);\ncontinue it with `baton resume \(record.name)`,\nor end it with `baton cancel \(record.name)`\n"
        }
        print(Secrets.redact(out), terminator: "")
    }

    /// `baton status RUN --json`.
    private static func json(_ record: RunRecord, displayState: String, summaries: [StageSummary], detail: RunStatusDetail,
                             workers: [WorkerRecord], activity: RunActivity) -> JSON {
        JSON.object([
            ("run", .object([
                ("id", .number(Double(record.id))), ("name", .string(record.name)), ("pipeline", .string(record.pipeline)),
                ("state", .string(record.state.rawValue)), ("display_state", .string(displayState)),
                ("seeded", .number(Double(record.seeded))), ("source_total", record.sourceTotal.map(Format.json) ?? .null),
                ("seed_done", .bool(record.seedDone)), ("created_at", Format.json(record.createdAt)),
                ("finished_at", Format.json(record.finishedAt)), ("active_seconds", Format.json(seconds: activity.runSeconds)),
                ("source", record.source.map { .object([("kind", .string($0.kind)), ("path", $0.path.map(JSON.string) ?? .null),
                                                         ("size", Format.json($0.size))]) } ?? .null),
                ("working_directory", record.workingDirectory.map(JSON.string) ?? .null),
            ])),
            ("stages", .array(summaries.map(Format.json))),
            ("oldest_pending_seconds", detail.oldestPendingSeconds.map { .number($0.rounded()) } ?? .null),
            ("workers", .array(workers.filter { $0.isAlive || $0.heldItems > 0 }.map { worker in
                .object([
                    ("worker", .string(worker.name)), ("items", Format.json(worker.heldItems)), ("alive", .bool(worker.isAlive)),
                    ("host", .string(worker.host)), ("pid", Format.json(worker.pid)),
                    ("seconds_since_heartbeat", worker.secondsSinceSeen.isFinite ? Format.json(seconds: worker.secondsSinceSeen.rounded()) : .null),
                ])
            })),
        ])
    }
}
