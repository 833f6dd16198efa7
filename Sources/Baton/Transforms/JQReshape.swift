import BatonJQ

/// A jq program that only builds one object from top-level members of its input, run without
/// libjq: `{id, name: (.name | ascii_downcase), score: (.value * 1.5)}`. Each value is a
/// member (`id` is `id: .id`), a member through `ascii_downcase` or `ascii_upcase`, or a
/// member combined with a number (`+ - * /`).
///
/// It answers only when it is sure to give jq's exact output text, and otherwise returns nil
/// so the caller runs jq: an input that is not strict JSON or not an object, a value of
/// another kind than the operation takes (jq's error comes from jq), an escaped string, a
/// nested value, a number jq would print in another form. jq 1.6 codes `ascii_downcase` in
/// jq itself (explode, map, implode): done here, it costs a fraction.
package struct JQReshape: Sendable {
    enum Operation: Sendable, Equatable {
        case member
        case downcase
        case upcase
        case arithmetic(UInt8, Double)
    }

    struct Entry: Sendable {
        var name: String
        var member: Substring
        var operation: Operation
    }

    let entries: [Entry]
    private let members: [Substring]

    /// The program's reshape, or nil when it is anything else.
    package init?(program: String) {
        var parser = Parser(Array(program.utf8))
        guard let entries = parser.program(), Set(entries.map(\.name)).count == entries.count else { return nil }
        self.entries = entries
        var members: [Substring] = []
        for entry in entries where !members.contains(entry.member) { members.append(entry.member) }
        self.members = members
    }

    /// The program's one output for `json` as jq prints it (compact), or nil: ask jq.
    package func apply(_ json: String) -> String? {
        guard let found = JSONScan.members(members, in: json) else { return nil }
        var out = "{"
        for (position, entry) in entries.enumerated() {
            guard let index = members.firstIndex(of: entry.member),
                  let value = JQReshape.render(found[index], entry.operation) else { return nil }
            if position > 0 { out += "," }
            out += "\"\(entry.name)\":\(value)"
        }
        return out + "}"
    }

    private static func render(_ member: JSONScan.Member, _ operation: Operation) -> String? {
        switch (operation, member) {
        case (.member, .missing), (.member, .null): return "null"
        case (.member, .bool(let value)): return value ? "true" : "false"
        case (.member, .number(let value, _)): return number(value)
        case (.member, .string(let text)): return string(text)
        case (.downcase, .string(let text)): return string(ascii(text, from: 0x41, to: 0x5A, shift: 0x20))
        case (.upcase, .string(let text)): return string(ascii(text, from: 0x61, to: 0x7A, shift: -0x20))
        case (.arithmetic(let op, let operand), .number(let value, _)):
            switch op {
            case UInt8(ascii: "+"): return number(value + operand)
            case UInt8(ascii: "-"): return number(value - operand)
            case UInt8(ascii: "*"): return number(value * operand)
            default: return number(value / operand)
            }
        default: return nil
        }
    }

    /// jq's text for a number, where it is sure of it: finite, below 10¹⁵ (jq 1.6 prints
    /// larger round numbers as `3e+16`), not -0 (jq prints `-0`).
    private static func number(_ value: Double) -> String? {
        guard value.isFinite, abs(value) < 1e15, !(value == 0 && value.sign == .minus) else { return nil }
        return JSON.format(value)
    }

    /// A string as jq prints it; nil for one with DEL (jq escapes it; other characters jq
    /// escapes cannot be in a string without escapes).
    private static func string(_ text: String) -> String? {
        guard !text.utf8.contains(0x7F) else { return nil }
        return "\"\(text)\""
    }

    private static func ascii(_ text: String, from low: UInt8, to high: UInt8, shift: Int) -> String {
        var bytes = Array(text.utf8)
        for index in bytes.indices where bytes[index] >= low && bytes[index] <= high {
            bytes[index] = UInt8(Int(bytes[index]) + shift)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `{` entry (`,` entry)* `}` with entry := name | name `:` value, value := `.`name |
    /// `(` `.`name [`|` ascii_downcase | `|` ascii_upcase | op number] `)`.
    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func program() -> [Entry]? {
            skipSpace()
            guard take("{") else { return nil }
            var entries: [Entry] = []
            repeat {
                guard let entry = entry() else { return nil }
                entries.append(entry)
            } while take(",")
            guard take("}") else { return nil }
            skipSpace()
            return index == bytes.count && !entries.isEmpty ? entries : nil
        }

        private mutating func entry() -> Entry? {
            guard let name = identifier() else { return nil }
            guard take(":") else { return Entry(name: name, member: Substring(name), operation: .member) }
            if let member = member() { return Entry(name: name, member: member, operation: .member) }
            guard take("("), let member = member() else { return nil }
            var operation = Operation.member
            if take("|") {
                switch identifier() {
                case "ascii_downcase": operation = .downcase
                case "ascii_upcase": operation = .upcase
                default: return nil
                }
            } else if let op = peekOperator() {
                index += 1
                guard let operand = numberLiteral(), operand != 0 || op != UInt8(ascii: "/") else { return nil }
                operation = .arithmetic(op, operand)
            }
            return take(")") ? Entry(name: name, member: member, operation: operation) : nil
        }

        /// `.name`
        private mutating func member() -> Substring? {
            let start = index
            guard take("."), let name = identifier(spaceBefore: false) else {
                index = start
                return nil
            }
            return Substring(name)
        }

        private mutating func identifier(spaceBefore: Bool = true) -> String? {
            if spaceBefore { skipSpace() }
            let start = index
            while index < bytes.count, Self.isIdentifier(bytes[index], first: index == start) { index += 1 }
            guard index > start else { return nil }
            let name = String(decoding: bytes[start..<index], as: UTF8.self)
            // jq keywords cannot be shorthand names or members.
            guard !["if", "then", "elif", "else", "end", "as", "def", "reduce", "foreach", "try", "catch", "label",
                    "import", "include", "and", "or", "not", "__loc__"].contains(name) else { return nil }
            return name
        }

        private static func isIdentifier(_ byte: UInt8, first: Bool) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "_")
                || (!first && byte >= 0x30 && byte <= 0x39)
        }

        private mutating func peekOperator() -> UInt8? {
            skipSpace()
            guard index < bytes.count, [UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/")].contains(bytes[index]),
                  index + 1 < bytes.count, bytes[index + 1] != UInt8(ascii: "/"), bytes[index + 1] != UInt8(ascii: "=") else { return nil }
            return bytes[index]
        }

        /// A plain decimal literal (digits, an optional fraction), as jq reads it.
        private mutating func numberLiteral() -> Double? {
            skipSpace()
            let start = index
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
            guard index > start else { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                let fraction = index
                while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
                guard index > fraction else { return nil }
            }
            return Double(String(decoding: bytes[start..<index], as: UTF8.self))
        }

        private mutating func take(_ character: Character) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }

        private mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }
    }
}
