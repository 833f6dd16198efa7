import Baton
import BatonJQ
import Foundation

/// The end-of-run report: a table for people, or one JSON document (`--json`) with the same
/// numbers.
struct SummaryRenderer {
    let report: RunReport
    let exitCode: Int32

    private var stateText: String {
        switch report.stopReason {
        case .interrupt: return "interrupted (still running: resume with `baton resume \(report.run.name)`)"
        case .terminate: return "stopped by SIGTERM (resume with `baton resume \(report.run.name)`)"
        case .cancelled: return "cancelled"
        case .none: return report.run.state.rawValue
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
        let header = ["stage", "done", "skipped", "failed", "retried", "dedup", "lease_lost", "pending", "items/s", "p50 ms", "p95 ms"]
        var rows = [header]
        for s in report.stages {
            rows.append([
                s.name, "\(s.done)", "\(s.skipped)", "\(s.failed)", "\(s.retried)", "\(s.deduplicated)", "\(s.leaseLost)",
                "\(s.pending + s.running)", Self.number(s.itemsPerSecond), Self.number(s.p50Milliseconds), Self.number(s.p95Milliseconds),
            ])
        }
        out += Table(rows: rows).render()
        for s in report.stages where s.olderVersion > 0 {
            out += "note: \(s.olderVersion) item(s) of stage \(s.name) were produced by an older version of the stage\n"
        }
        out += "\nexit \(exitCode): \(BatonExit.meaning(of: exitCode))\n"
        return out
    }

    func json() -> String {
        let stages = report.stages.map(Format.json)
        let document = JSON.object([
            ("run", .object([
                ("id", .number(Double(report.run.id))), ("name", .string(report.run.name)),
                ("pipeline", .string(report.run.pipeline)), ("state", .string(report.run.state.rawValue)),
            ])),
            ("stopped", report.stopReason == .none ? .null : .string("\(report.stopReason)")),
            ("already_finished", .bool(report.wasAlreadyFinished)),
            ("wall_seconds", .number((report.wallTime.seconds * 1000).rounded() / 1000)),
            ("stages", .array(stages)),
            ("exit_code", .number(Double(exitCode))),
            ("exit_meaning", .string(BatonExit.meaning(of: exitCode))),
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
