import Baton
import Foundation
import Logging
import Synchronization

/// Live progress on stderr (never stdout). On a terminal: a per-stage block redrawn in place
/// (twice a second); otherwise one plain line every 5 seconds (a JSON object with
/// `--log-format json`).
final class ProgressRenderer: Sendable {
    private let tty: Bool
    private let enabled: Bool
    private let drawnLines = Mutex(0)

    init(mode: ProgressMode) {
        let isTerminal = isatty(STDERR_FILENO) == 1
        switch mode {
        case .auto: tty = isTerminal; enabled = true
        case .tty: tty = true; enabled = true
        case .plain: tty = false; enabled = true
        case .none: tty = false; enabled = false
        }
    }

    /// How often to report; nil: no progress.
    var interval: Duration? { enabled ? (tty ? .milliseconds(500) : .seconds(5)) : nil }

    func render(_ snapshot: ProgressSnapshot) {
        if !tty && LogSetup.isJSON {
            // Keep stderr one JSON object per line.
            LogSetup.message(plainLine(snapshot), level: .info, label: "baton.progress", metadata: ["run.name": "\(snapshot.runName)"])
            return
        }
        let lines = tty ? block(snapshot) : [plainLine(snapshot)]
        var out = ""
        drawnLines.withLock { drawn in
            if tty && drawn > 0 { out += "\u{1B}[\(drawn)A" }
            for line in lines { out += (tty ? "\u{1B}[2K" : "") + line + "\n" }
            drawn = tty ? lines.count : 0
        }
        FileHandle.standardError.write(Data(Secrets.redact(out).utf8))
    }

    /// Clears the live block so the summary starts on a clean screen.
    func finish() {
        guard tty else { return }
        drawnLines.withLock { drawn in
            if drawn > 0 {
                var out = "\u{1B}[\(drawn)A"
                for _ in 0..<drawn { out += "\u{1B}[2K\n" }
                out += "\u{1B}[\(drawn)A"
                FileHandle.standardError.write(Data(out.utf8))
            }
            drawn = 0
        }
    }

    private func block(_ s: ProgressSnapshot) -> [String] {
        var rows = [["stage", "done/total", "failed", "retries", "items/s", "ETA"]]
        for stage in s.stages {
            let remaining = stage.pending + stage.running
            let eta = stage.itemsPerSecond > 0.5 && remaining > 0 ? Self.duration(Double(remaining) / stage.itemsPerSecond) : "-"
            rows.append([
                stage.name, "\(stage.finished)/\(stage.total)", "\(stage.failed)", "\(stage.retried)",
                String(format: "%.0f", stage.itemsPerSecond), eta,
            ])
        }
        let seeding = s.seedDone ? "seeded \(s.seeded)" : "seeding… \(s.seeded)"
        let title = "run \(s.runName) · \(seeding) · \(Self.duration(s.elapsed.seconds))"
        return [title] + Table(rows: rows).render().split(separator: "\n").map(String.init)
    }

    private func plainLine(_ s: ProgressSnapshot) -> String {
        let parts = s.stages.map { "\($0.name) \($0.finished)/\($0.total) failed=\($0.failed) \(String(format: "%.0f", $0.itemsPerSecond))/s" }
        return "progress \(s.runName) [\(Self.duration(s.elapsed.seconds))] " + parts.joined(separator: " | ")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    }
}
