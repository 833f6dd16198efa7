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
    /// fields as a log line in json mode. Secrets are redacted.
    static func message(_ text: String, level: Logger.Level = .notice, label: String = "baton", metadata: Logger.Metadata = [:]) {
        let line = isJSON
            ? StderrLogHandler.jsonLine(level: level, label: label, message: text, metadata: metadata)
            : "baton: \(text)"
        FileHandle.standardError.write(Data((Secrets.redact(line) + "\n").utf8))
    }
}

struct StderrLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level = .notice
    var metadata: Logger.Metadata = [:]

    init(label: String, json: Bool) {
        self.label = label
        self.json = json
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let line: String
        if json {
            line = Self.jsonLine(level: event.level, label: label, message: "\(event.message)", metadata: all)
        } else {
            let time = ISO8601DateFormatter().string(from: Date())
            let meta = all.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue) \(event.message)\(meta.isEmpty ? "" : " " + meta)"
        }
        FileHandle.standardError.write(Data((Secrets.redact(line) + "\n").utf8))
    }

    /// One log line as a JSON object: ts, level, logger, message, then the metadata keys.
    static func jsonLine(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        let time = ISO8601DateFormatter().string(from: Date())
        var fields: [(String, JSON)] = [("ts", .string(time)), ("level", .string(level.rawValue)), ("logger", .string(label)), ("message", .string(message))]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { fields.append((key, .string("\(value)"))) }
        return JSON.object(fields).serialized
    }
}
