import BatonJQ

/// A JSONL file: one JSON value per line; blank lines are ignored.
final class JSONLReader: SourceReader {
    private let lines: LineReader

    init(path: String) throws {
        lines = try LineReader(path: path)
    }

    var position: SourcePosition { SourcePosition(offset: lines.offset, line: lines.lineNumber) }

    func resume(at position: SourcePosition) throws {
        try lines.seek(offset: position.offset, line: position.line)
    }

    func next() throws -> SourceRecord? {
        while let text = try lines.next() {
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if let bad = lines.invalidUTF8Description {
                return SourceRecord(line: lines.lineNumber, error: bad, raw: String(text.prefix(200)))
            }
            // Strict JSON is stored as it is (Postgres takes it); anything else goes through
            // jq's parser, which accepts more (`nan`, `01`) and prints it back strict.
            if JSONScan.isStrict(text) {
                return SourceRecord(line: lines.lineNumber, payload: text, verbatim: true)
            }
            do {
                return SourceRecord(line: lines.lineNumber, payload: try JSON.compact(text))
            } catch let error as JQError {
                return SourceRecord(line: lines.lineNumber, error: "invalid JSON: \(error.message)", raw: String(text.prefix(200)))
            }
        }
        return nil
    }
}
