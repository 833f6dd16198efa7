import Baton
import BatonJQ
import Foundation
import Logging
import Synchronization

/// Live progress on stderr (never stdout). On a terminal: a per-stage block redrawn in place
/// (twice a second); otherwise one plain line every 5 seconds (a JSON object with
/// `--log-format json`, its numbers as fields).
///
/// Counts as in the summary: `done` is done items only; skipped and failed are their own.
/// The first stage's total is the source's record count once the pre-check counted it
/// (`seeding 85000/200000`), and the title carries an ETA for the whole run.
final class ProgressRenderer: Sendable {
    private let tty: Bool
    private let enabled: Bool
    /// When (in the pre-check's time) it was last shown; nil: not yet.
    private let checkShown = Mutex<Duration?>(nil)

    init(mode: ProgressMode) {
        let isTerminal = isatty(STDERR_FILENO) == 1
        switch mode {
        case .auto: tty = isTerminal && !LogSetup.isJSON; enabled = true
        case .tty: tty = !LogSetup.isJSON; enabled = true
        case .plain: tty = false; enabled = true
        case .none: tty = false; enabled = false
        }
    }

    /// How often to report; nil: no progress.
    var interval: Duration? { enabled ? (tty ? .milliseconds(500) : .seconds(5)) : nil }

    func render(_ snapshot: ProgressSnapshot) {
        guard enabled else { return }
        if let records = snapshot.checking {
            renderCheck(snapshot, records: records)
            return
        }
        if !tty {
            let line = plainLine(snapshot)
            if LogSetup.isJSON {
                LogSetup.message(line, level: .info, label: "baton.progress", metadata: ["run.name": "\(snapshot.runName)"],
                                 fields: jsonFields(snapshot))
            } else {
                StderrStream.write(Secrets.redact(line) + "\n")
            }
            return
        }
        StderrStream.draw(block: block(snapshot).map(Secrets.redact))
    }

    /// `checking FILE…`: on a terminal once the check has taken half a second, otherwise
    /// once it has taken the plain interval (a quick check prints nothing).
    private func renderCheck(_ s: ProgressSnapshot, records: Int64) {
        let every: Duration = tty ? .milliseconds(500) : .seconds(5)
        let due = checkShown.withLock { last -> Bool in
            guard s.elapsed >= every, last.map({ s.elapsed - $0 >= every }) ?? true else { return false }
            last = s.elapsed
            return true
        }
        guard due else { return }
        let line = "checking \(s.sourceName)… \(records) records (\(Self.duration(s.elapsed.seconds)))"
        if tty {
            StderrStream.draw(block: [Secrets.redact(line)])
        } else if LogSetup.isJSON {
            LogSetup.message(line, level: .info, label: "baton.progress",
                             fields: [("progress.checking", .string(s.sourceName)), ("progress.checked_records", Format.json(records))])
        } else {
            StderrStream.write(Secrets.redact(line) + "\n")
        }
    }

    /// Clears the live block so the summary starts on a clean screen.
    func finish() {
        guard tty else { return }
        StderrStream.clearBlock()
    }

    private func block(_ s: ProgressSnapshot) -> [String] {
        let showSkipped = s.stages.contains { $0.skipped > 0 }
        var header = ["stage", "done/total"]
        if showSkipped { header.append("skipped") }
        header += ["failed", "retries", "items/s", "ETA"]
        var rows = [header]
        for (index, stage) in s.stages.enumerated() {
            let eta = Self.stageETA(s, stage: index).map(Self.duration) ?? "-"
            var row = [stage.name, "\(stage.done)/\(Self.total(s, stage: index))"]
            if showSkipped { row.append("\(stage.skipped)") }
            row += ["\(stage.failed)", "\(stage.retried)", String(format: "%.0f", stage.itemsPerSecond), eta]
            rows.append(row)
        }
        var title = "run \(s.runName) · \(Self.seeding(s)) · \(Self.duration(s.elapsed.seconds))"
        if let eta = Self.runETA(s) { title += " · ETA \(Self.duration(eta))" }
        return [title] + Table(rows: rows).render().split(separator: "\n").map(String.init)
    }

    private func plainLine(_ s: ProgressSnapshot) -> String {
        let parts = s.stages.enumerated().map { index, stage in
            "\(stage.name) \(stage.done)/\(Self.total(s, stage: index))\(stage.skipped > 0 ? " skipped=\(stage.skipped)" : "") failed=\(stage.failed) \(String(format: "%.0f", stage.itemsPerSecond))/s"
        }
        // The first stage's total is the source's count while it is seeded (the JSON form
        // also has `progress.seeded`).
        return "progress \(s.runName) [\(Self.duration(s.elapsed.seconds))] " + parts.joined(separator: " | ")
    }

    private func jsonFields(_ s: ProgressSnapshot) -> [(String, JSON)] {
        let stages: [JSON] = s.stages.enumerated().map { index, stage in
            .object([
                ("name", .string(stage.name)), ("done", Format.json(stage.done)), ("skipped", Format.json(stage.skipped)),
                ("failed", Format.json(stage.failed)), ("pending", Format.json(stage.pending)), ("running", Format.json(stage.running)),
                ("total", Format.json(Self.total(s, stage: index))), ("retried", Format.json(stage.retried)),
                ("items_per_second", .number((stage.itemsPerSecond * 10).rounded() / 10)),
            ])
        }
        return [
            ("progress.elapsed_seconds", Format.json(seconds: s.elapsed.seconds)), ("progress.seeded", Format.json(s.seeded)),
            ("progress.seed_done", .bool(s.seedDone)), ("progress.source_total", s.sourceTotal.map(Format.json) ?? .null),
            ("progress.eta_seconds", Format.json(seconds: Self.runETA(s).map { $0.rounded() })), ("progress.stages", .array(stages)),
        ]
    }

    /// `seeding 300/700` (total known), `seeding… 300`, `seeded 700`.
    static func seeding(_ s: ProgressSnapshot) -> String {
        if s.seedDone { return "seeded \(s.seeded)" }
        if let total = s.sourceTotal { return "seeding \(s.seeded)/\(total)" }
        return "seeding… \(s.seeded)"
    }

    /// Items of a stage so far; for the first stage, the source's count while it is seeded.
    static func total(_ s: ProgressSnapshot, stage index: Int) -> Int {
        let stage = s.stages[index]
        if index == 0, !s.seedDone, let total = s.sourceTotal { return max(stage.total, Int(total)) }
        return stage.total
    }

    /// Seconds until the whole run is done: for every stage, what is left (its queue, and
    /// for the items still to come from the source as many as it got per source item so
    /// far) at its current rate; the slowest stage decides. Nil when not known yet.
    static func runETA(_ s: ProgressSnapshot) -> Double? {
        guard !s.stages.isEmpty, s.seedDone || s.sourceTotal != nil else { return nil }
        var eta = 0.0
        for index in s.stages.indices {
            guard remaining(s, stage: index) >= 1 else { continue }
            guard let seconds = stageETA(s, stage: index) else { return nil }
            eta = max(eta, seconds)
        }
        return eta
    }

    /// Seconds until a stage is done with what is left of it (``remaining(_:stage:)``) at its
    /// current rate; nil when nothing is left or the rate is not known yet.
    static func stageETA(_ s: ProgressSnapshot, stage index: Int) -> Double? {
        let rate = s.stages[index].itemsPerSecond
        let left = remaining(s, stage: index)
        guard left >= 1, rate > 0.5 else { return nil }
        return left / rate
    }

    /// Items a stage still has to finish: its queue and, while the source total is known,
    /// its share of the source items still to come (as many as it got per source item so
    /// far). Not just the queue: with 18 400 of 200 000 done, 181 600 are left, not the few
    /// seeded so far.
    static func remaining(_ s: ProgressSnapshot, stage index: Int) -> Double {
        let stage = s.stages[index]
        let queued = Double(stage.pending + stage.running)
        guard let first = s.stages.first, s.seedDone || s.sourceTotal != nil else { return queued }
        let toCome = Double(max(0, total(s, stage: 0) - first.finished))
        if index == 0 { return toCome }
        return first.finished > 0 ? queued + toCome * Double(stage.total) / Double(first.finished) : queued
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    }
}
