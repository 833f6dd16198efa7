import Foundation
import Logging
import Synchronization

/// Logs go to stderr (stdout is for data and reports): text lines, or one JSON object per
/// line with the dotted metadata keys (`run.id`, `stage.name`, `item.key`…). Secrets are
/// redacted.
enum LogSetup {
    private static let done = Mutex(false)

    static func bootstrap(level: Logger.Level, format: LogFormat) {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StderrLogHandler(label: label, json: format == .json)
            handler.logLevel = level
            return handler
        }
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
        let time = ISO8601DateFormatter().string(from: Date())
        let line: String
        if json {
            var fields: [(String, String)] = [("ts", time), ("level", event.level.rawValue), ("logger", label), ("message", "\(event.message)")]
            for (key, value) in all.sorted(by: { $0.key < $1.key }) { fields.append((key, "\(value)")) }
            line = "{" + fields.map { "\(quote($0.0)):\(quote($0.1))" }.joined(separator: ",") + "}"
        } else {
            let meta = all.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue) \(event.message)\(meta.isEmpty ? "" : " " + meta)"
        }
        FileHandle.standardError.write(Data((Secrets.redact(line) + "\n").utf8))
    }

    private func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
