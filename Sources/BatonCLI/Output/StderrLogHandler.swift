import BatonJQ
import Foundation
import Logging

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
            let time = Format.timestamp(Date())
            let meta = all.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue) \(event.message)\(meta.isEmpty ? "" : " " + meta)"
        }
        StderrStream.write(Secrets.redact(line) + "\n")
    }

    /// One log line as a JSON object: ts, level, logger, message, then the metadata keys.
    static func jsonLine(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, fields extra: [(String, JSON)] = []
    ) -> String {
        let time = Format.timestamp(Date())
        var fields: [(String, JSON)] = [("ts", .string(time)), ("level", .string(level.rawValue)), ("logger", .string(label)), ("message", .string(message))]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { fields.append((key, .string("\(value)"))) }
        return JSON.object(fields + extra).serialized
    }
}
