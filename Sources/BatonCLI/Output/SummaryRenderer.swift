import Baton
import BatonJQ
import Foundation

/// The end-of-run report: a table for people, or one JSON document (`--json`) with the same
/// numbers.
struct SummaryRenderer {
    let report: RunReport
    let exitCode: Int32
    /// Table width limit (nil: `--wide`, every column).
    var width: Int? = 80
    /// `baton run --seed-only` seeded everything and left the run running on purpose
    /// (``RunSession/isLeftSeeded(_:seedOnly:)``).
    var leftSeeded = false

    private var stateText: String {
        switch report.stopReason {
        case .interrupt: return "interrupted (still running: resume with `baton resume \(report.run.name)`)"
        case .terminate: return "stopped by SIGTERM (resume with `baton resume \(report.run.name)`)"
        case .cancelled: return "cancelled"
        case .none where leftSeeded:
            return "seeded \(Format.count(Int(report.run.seeded), "item")), left running for `baton work` or `baton resume \(report.run.name)`"
        case .none: return report.run.state.rawValue
        }
    }

    /// What the exit code means for this run, naming it where a command follows.
    var exitMeaning: String {
        let name = report.run.name
        switch BatonExit(rawValue: exitCode) {
        case .failedItems:
            let failed = report.stages.reduce(0) { $0 + $1.failed }
            if report.stopReason == .cancelled || report.run.state == .cancelled {
                let cancelled = report.stages.reduce(0) { $0 + $1.cancelled }
                return "the run was cancelled (\(Format.count(cancelled, "item")) not run\(failed > 0 ? ", \(failed) failed" : ""))"
            }
            return "the run finished with failed items (\(failed); see `baton failures \(name)`)"
        case .interrupted: return "interrupted; resume with `baton resume \(name)`"
        case .temporary: return "stopped before the end; safe to rerun: `baton resume \(name)`"
        case .success where leftSeeded:
            return "every source record is enqueued; work the run with `baton work` or `baton resume \(name)`"
        default: return BatonExit.meaning(of: exitCode)
        }
    }

    func text() -> String {
        var out = "run \(report.run.name) (id \(report.run.id)) of pipeline \(report.run.pipeline): \(stateText)"
        if report.wasAlreadyFinished {
            out += " (already finished; nothing to do)"
        } else {
            out += " in \(Self.seconds(report.wallTime.seconds))"
        }
        out += "\n\n"
        out += Self.stageTable(report.stages, width: width, running: false)
        for s in report.stages where s.olderVersion > 0 {
            out += "note: \(s.olderVersion) item(s) of stage \(s.name) were produced by an older version of the stage\n"
        }
        out += "\nexit \(exitCode): \(exitMeaning)\n"
        return out
    }

    /// The per-stage table of the summary and of `baton status RUN` (`running`: with the
    /// running and cancelled columns). Fits `width`, leaving out the least needed columns
    /// first; a note says so.
    static func stageTable(_ stages: [StageSummary], width: Int?, running: Bool) -> String {
        let wide = width == nil
        var columns = [Table.Column("stage")]
        if running { columns.append(Table.Column("pending")) }
        if running { columns.append(Table.Column("running", priority: 1)) }
        columns += [Table.Column("done"), Table.Column("skipped"), Table.Column("failed")]
        columns.append(Table.Column("cancelled", priority: 1, onlyWhenUsed: !running && !wide))
        columns += [
            Table.Column("retried"), Table.Column("dedup", priority: 4, onlyWhenUsed: !wide),
            Table.Column("lease_lost", priority: 5, onlyWhenUsed: !wide),
        ]
        if !running { columns.append(Table.Column("pending")) }
        columns += [Table.Column("items/s", priority: 2), Table.Column("p50 ms", priority: 6), Table.Column("p95 ms", priority: 3)]
        let rows = stages.map { s -> [String] in
            var row = [s.name]
            if running { row += ["\(s.pending)", "\(s.running)"] }
            row += ["\(s.done)", "\(s.skipped)", "\(s.failed)", "\(s.cancelled)", "\(s.retried)", "\(s.deduplicated)", "\(s.leaseLost)"]
            if !running { row.append("\(s.pending + s.running)") }
            row += [number(s.itemsPerSecond), number(s.p50Milliseconds), number(s.p95Milliseconds)]
            return row
        }
        var hidden = false
        let table = Table(columns: columns, rows: rows).render(width: width, hidden: &hidden)
        return table + (hidden ? "(more columns: --wide)\n" : "")
    }

    func json() -> String {
        let stages = report.stages.map(Format.json)
        let document = JSON.object([
            ("run", .object([
                ("id", .number(Double(report.run.id))), ("name", .string(report.run.name)),
                ("pipeline", .string(report.run.pipeline)), ("state", .string(report.run.state.rawValue)),
                ("created_at", Format.json(report.run.createdAt)), ("finished_at", Format.json(report.run.finishedAt)),
                ("seeded", Format.json(report.run.seeded)), ("source_total", report.run.sourceTotal.map(Format.json) ?? .null),
            ])),
            ("stopped", report.stopReason == .none ? .null : .string("\(report.stopReason)")),
            ("already_finished", .bool(report.wasAlreadyFinished)),
            ("wall_seconds", .number((report.wallTime.seconds * 1000).rounded() / 1000)),
            ("seed_seconds", Format.json(seconds: report.run.seedSeconds)),
            ("stages", .array(stages)),
            ("exit_code", .number(Double(exitCode))),
            ("exit_meaning", .string(exitMeaning)),
        ])
        return document.serialized
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        return value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    static func optional(_ value: Double?) -> JSON {
        value.map { .number(($0 * 10).rounded() / 10) } ?? .null
    }

    static func seconds(_ value: Double) -> String {
        value < 60 ? String(format: "%.1fs", value) : String(format: "%dm%02ds", Int(value) / 60, Int(value) % 60)
    }
}
