internal import CJQ

/// A JSON value. Objects keep their members' order.
public enum JSON: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// Parses JSON text (with libjq's parser).
    public init(parsing text: String) throws {
        let value = try JV.parse(text)
        defer { jv_free(value) }
        self = JV.json(of: value)
    }

    /// Parses JSON text and prints it back compact (member order kept), without building
    /// Swift values: the fast path for normalising input records.
    public static func compact(_ text: String) throws -> String {
        let value = try JV.parse(text)
        defer { jv_free(value) }
        return JV.dump(value)
    }

    /// Compact JSON text.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    public var description: String { serialized }

    /// The member of an object, nil otherwise.
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The text a value stands for when it is used as a key, a URL part or a SQL parameter:
    /// a string's own characters, `null` as nil, anything else as compact JSON.
    public var plainText: String? {
        switch self {
        case .null: return nil
        case .string(let text): return text
        default: return serialized
        }
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += JSON.format(number)
        case .string(let text): JSON.writeString(text, to: &out)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { out += "," }
                JSON.writeString(key, to: &out)
                out += ":"
                member.write(to: &out)
            }
            out += "}"
        }
    }

    /// Numbers as jq prints them: integers without a fraction, others shortest round-trip.
    package static func format(_ number: Double) -> String {
        guard number.isFinite else { return number.isNaN ? "null" : (number > 0 ? "1.7976931348623157e+308" : "-1.7976931348623157e+308") }
        if number == number.rounded(), abs(number) < 1e17 {
            return String(Int64(number))
        }
        return "\(number)"
    }

    static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(flag)
        case .number(let number): hasher.combine(number)
        case .string(let text): hasher.combine(text)
        case .array(let elements): hasher.combine(elements)
        case .object(let members):
            for (key, member) in members {
                hasher.combine(key)
                hasher.combine(member)
            }
        }
    }
}
