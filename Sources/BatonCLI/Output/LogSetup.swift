import BatonJQ
import Foundation
import Logging
import Synchronization

/// Logs go to stderr (stdout is for data and reports): text lines, or one JSON object per
/// line with the dotted metadata keys (`run.id`, `stage.name`, `item.key`…). Secrets are
/// redacted.
enum LogSetup {
    /// The format chosen by the first `bootstrap`; nil before.
    private static let chosen = Mutex<LogFormat?>(nil)

    static func bootstrap(level: Logger.Level, format: LogFormat) {
        let first = chosen.withLock { chosen -> Bool in
            defer { chosen = chosen ?? format }
            return chosen == nil
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StderrLogHandler(label: label, json: format == .json)
            handler.logLevel = level
            return handler
        }
    }
}

extension LogSetup {
    /// True once `--log-format json` is in effect: everything on stderr is then one JSON
    /// object per line.
    static var isJSON: Bool { chosen.withLock { $0 } == .json }

    /// A message for people on stderr that does not go through a logger (the final error,
    /// progress lines, notices): `baton: TEXT` in text mode, one JSON object with the same
    /// fields as a log line in json mode (plus `fields`). Secrets are redacted.
    static func message(
        _ text: String, level: Logger.Level = .notice, label: String = "baton", metadata: Logger.Metadata = [:],
        fields: [(String, JSON)] = []
    ) {
        let line = isJSON
            ? StderrLogHandler.jsonLine(level: level, label: label, message: text, metadata: metadata, fields: fields)
            : "baton: \(text)"
        StderrStream.write(Secrets.redact(line) + "\n")
    }
}
