import ArgumentParser
import Baton
import BatonJQ
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show recent runs, or one run's per-stage counts.",
        discussion: """
            Without RUN: the recent runs (name, pipeline, state, started, duration, counts). \
            With RUN: per-stage counts, throughput and latency, the oldest pending item's age, \
            items produced by an older version of a stage, and the workers holding items now.

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

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        if let reference = run {
            try await showRun(reference)
        } else {
            try await listRuns()
        }
    }

    private func listRuns() async throws {
        let limit = self.limit
        let rows = try await global.withConnection { conn -> [(RunRecord, [String: Int])] in
            guard try Store.isCurrent(conn) else { return [] }
            return try Store.recentRuns(conn, limit: limit).map { run in
                var counts: [String: Int] = [:]
                for (_, byState) in try Store.stageCounts(conn, runID: run.id) {
                    for (state, n) in byState { counts[state.rawValue, default: 0] += n }
                }
                return (run, counts)
            }
        }
        if json {
            let runs: [JSON] = rows.map { run, counts in
                .object([
                    ("id", .number(Double(run.id))), ("name", .string(run.name)), ("pipeline", .string(run.pipeline)),
                    ("state", .string(run.state.rawValue)), ("created_at", .string(Format.timestamp(run.createdAt))),
                    ("finished_at", run.finishedAt.map { .string(Format.timestamp($0)) } ?? .null),
                    ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ])
            }
            print(JSON.object([("runs", .array(runs))]).serialized)
            return
        }
        guard !rows.isEmpty else {
            print("no runs yet")
            return
        }
        var table = [["id", "run", "pipeline", "state", "started (UTC)", "duration", "done", "skipped", "failed", "pending"]]
        for (run, counts) in rows {
            let end = run.finishedAt ?? Date()
            table.append([
                "\(run.id)", run.name, run.pipeline, run.state.rawValue, Format.timestamp(run.createdAt),
                SummaryRenderer.seconds(end.timeIntervalSince(run.createdAt)),
                "\(counts["done"] ?? 0)", "\(counts["skipped"] ?? 0)", "\(counts["failed"] ?? 0)",
                "\((counts["pending"] ?? 0) + (counts["running"] ?? 0))",
            ])
        }
        print(Table(rows: table).render(), terminator: "")
    }

    private func showRun(_ reference: String) async throws {
        let record = try await RunReference.find(reference, global: global)
        // Compare with the stage definitions as they are now, when the file can be read.
        let current = try? RunReference.pipeline(for: record, file: nil)
        let stages: [(name: String, hash: String?)] = current?.stages.map { ($0.name, $0.definitionHash) } ?? []
        let (summaries, detail) = try await global.withConnection { conn in
            (try Store.stageSummaries(conn, runID: record.id, stages: stages), try Store.statusDetail(conn, runID: record.id))
        }
        if json {
            let document = JSON.object([
                ("run", .object([
                    ("id", .number(Double(record.id))), ("name", .string(record.name)), ("pipeline", .string(record.pipeline)),
                    ("state", .string(record.state.rawValue)), ("seeded", .number(Double(record.seeded))),
                    ("seed_done", .bool(record.seedDone)), ("created_at", .string(Format.timestamp(record.createdAt))),
                ])),
                ("stages", .array(summaries.map(Format.json))),
                ("oldest_pending_seconds", detail.oldestPendingSeconds.map { .number($0.rounded()) } ?? .null),
                ("workers", .array(detail.workers.map { .object([("worker", .string($0.worker)), ("items", .number(Double($0.items)))]) })),
            ])
            print(Secrets.redact(document.serialized))
            return
        }
        print("run \(record.name) (id \(record.id)) of pipeline \(record.pipeline): \(record.state.rawValue)")
        print("started \(Format.timestamp(record.createdAt)) UTC; seeded \(record.seeded) item(s)\(record.seedDone ? "" : " so far (seeding not finished)")")
        var table = [["stage", "pending", "running", "done", "skipped", "failed", "cancelled", "retried", "dedup", "items/s", "p50 ms", "p95 ms"]]
        for s in summaries {
            table.append([
                s.name, "\(s.pending)", "\(s.running)", "\(s.done)", "\(s.skipped)", "\(s.failed)", "\(s.cancelled)", "\(s.retried)",
                "\(s.deduplicated)", SummaryRenderer.number(s.itemsPerSecond), SummaryRenderer.number(s.p50Milliseconds),
                SummaryRenderer.number(s.p95Milliseconds),
            ])
        }
        print("")
        print(Table(rows: table).render(), terminator: "")
        if let age = detail.oldestPendingSeconds {
            print("oldest pending item: \(ProgressRenderer.duration(age)) old")
        }
        for s in summaries where s.olderVersion > 0 {
            print("\(s.olderVersion) item(s) were produced by an older version of stage \(s.name)")
        }
        if !detail.workers.isEmpty {
            print("workers holding items now: " + detail.workers.map { "\($0.worker) (\($0.items))" }.joined(separator: ", "))
        }
    }
}
