import Foundation
import BatonJQ

/// A CSV file (RFC 4180: quoted fields may hold delimiters, quotes as `""` and line breaks).
/// The header row names the fields; each later row becomes one JSON object. Columns are
/// strings unless typed in `options.types`.
final class CSVReader: SourceReader {
    private let lines: LineReader
    private let options: CSVOptions
    private var header: [String] = []
    private var headerEnd: (offset: Int64, line: Int64) = (0, 0)
    private var recordStartLine: Int64 = 0

    init(path: String, options: CSVOptions) throws {
        lines = try LineReader(path: path)
        self.options = options
        guard let first = try readRecord() else {
            throw BatonError(.data, "\(path):1: the CSV file is empty (a header row is required)")
        }
        switch first {
        case .success(let fields):
            header = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            if let bom = header.first, bom.hasPrefix("\u{FEFF}") { header[0] = String(bom.dropFirst()) }
        case .failure(let message):
            throw BatonError(.data, "\(path):1: bad header row: \(message.message)")
        }
        if let duplicate = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw BatonError(.data, "\(path):1: column \(duplicate) appears twice in the header")
        }
        headerEnd = (lines.offset, lines.lineNumber)
    }

    var position: SourcePosition { SourcePosition(offset: lines.offset, line: lines.lineNumber) }
    /// The header's column names.
    var columns: [String] { header }

    func resume(at position: SourcePosition) throws {
        if position.offset == 0 {
            try lines.seek(offset: headerEnd.offset, line: headerEnd.line)
        } else {
            try lines.seek(offset: position.offset, line: position.line)
        }
    }

    func next() throws -> SourceRecord? {
        while true {
            guard let record = try readRecord() else { return nil }
            let line = recordStartLine
            switch record {
            case .failure(let message):
                return SourceRecord(line: line, error: message.message, raw: nil)
            case .success(let fields):
                if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
                guard fields.count == header.count else {
                    return SourceRecord(
                        line: line,
                        error: "expected \(header.count) fields (as in the header), found \(fields.count)",
                        raw: fields.joined(separator: String(options.delimiter)).prefix(1000).description
                    )
                }
                var members: [(String, JSON)] = []
                members.reserveCapacity(fields.count)
                for (name, field) in zip(header, fields) {
                    let type = options.types[name] ?? .string
                    guard let value = CSVReader.convert(field, to: type) else {
                        return SourceRecord(line: line, error: "column \(name): \"\(field.prefix(100))\" is not a valid \(type.rawValue)",
                                            raw: fields.joined(separator: String(options.delimiter)).prefix(1000).description)
                    }
                    members.append((name, value))
                }
                return SourceRecord(line: line, payload: JSON.object(members).serialized)
            }
        }
    }

    /// An empty field is null for typed columns, "" for strings.
    static func convert(_ field: String, to type: CSVOptions.ColumnType) -> JSON? {
        let trimmed = field.trimmingCharacters(in: .whitespaces)
        switch type {
        case .string: return .string(field)
        case .integer:
            if trimmed.isEmpty { return .null }
            return Int64(trimmed).map { .number(Double($0)) }
        case .number:
            if trimmed.isEmpty { return .null }
            guard let number = Double(trimmed), number.isFinite else { return nil }
            return .number(number)
        case .boolean:
            switch trimmed.lowercased() {
            case "": return .null
            case "true", "t", "yes", "y", "1": return .bool(true)
            case "false", "f", "no", "n", "0": return .bool(false)
            default: return nil
            }
        case .json:
            if trimmed.isEmpty { return .null }
            return try? JSON(parsing: trimmed)
        }
    }

    /// Reads one record, which may span lines when a quoted field holds a line break.
    private func readRecord() throws -> Result<[String], CSVParseError>? {
        guard let first = try lines.next() else { return nil }
        recordStartLine = lines.lineNumber
        if let bad = lines.invalidUTF8Description { return .failure(CSVParseError(message: bad)) }
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false
        var text = Substring(first)
        let delimiter = options.delimiter
        while true {
            var index = text.startIndex
            while index < text.endIndex {
                let c = text[index]
                if inQuotes {
                    if c == "\"" {
                        let next = text.index(after: index)
                        if next < text.endIndex && text[next] == "\"" {
                            field.append("\"")
                            index = text.index(after: next)
                            continue
                        }
                        inQuotes = false
                        afterQuote = true
                    } else {
                        field.append(c)
                    }
                } else if c == delimiter {
                    fields.append(field)
                    field = ""
                    afterQuote = false
                } else if c == "\"" && field.isEmpty && !afterQuote {
                    inQuotes = true
                } else if afterQuote {
                    if c != " " {
                        return .failure(CSVParseError(message: "unexpected character after a closing quote"))
                    }
                } else {
                    field.append(c)
                }
                index = text.index(after: index)
            }
            if !inQuotes { break }
            // A quoted field keeps its line break as the file has it (RFC 4180), `\r` and all.
            let lineBreak = lines.lineBreak
            guard let more = try lines.next(), lines.invalidUTF8Offset == nil else {
                if let bad = lines.invalidUTF8Description { return .failure(CSVParseError(message: bad)) }
                return .failure(CSVParseError(message: "a quoted field that starts on line \(recordStartLine) is never closed"))
            }
            field.append(lineBreak)
            text = Substring(more)
        }
        fields.append(field)
        return .success(fields)
    }
}
