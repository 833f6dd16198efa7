/// What a plain (unquoted) YAML scalar stands for, by the YAML 1.2 core schema: `true`/`false`
/// are booleans, `null`/`~`/nothing is null, numbers are numbers, everything else is text.
/// Quoted scalars are always text. (YAML 1.1's `yes`/`no`/`on`/`off` are text here, so a
/// country code `NO` stays a string.)
enum ScalarKind: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// A number that is not an `Int` (a fraction, an exponent, or too large).
    case float(Double)
    case string

    init(plain text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE": self = .bool(true)
        case "false", "False", "FALSE": self = .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": self = .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": self = .float(-.infinity)
        case ".nan", ".NaN", ".NAN": self = .float(.nan)
        default:
            if let number = ScalarKind.integer(text) {
                self = number
            } else if ScalarKind.isDecimal(text), let value = Double(text) {
                self = .float(value)
            } else {
                self = .string
            }
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
    private static func integer(_ text: String) -> ScalarKind? {
        if text.hasPrefix("0x"), text.count > 2, let value = Int(text.dropFirst(2), radix: 16) { return .int(value) }
        if text.hasPrefix("0o"), text.count > 2, let value = Int(text.dropFirst(2), radix: 8) { return .int(value) }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .int(value) }
        return Double(text).map { .float($0) }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isDecimal(_ text: String) -> Bool {
        var chars = Substring(text)
        if chars.first == "-" || chars.first == "+" { chars = chars.dropFirst() }
        let mantissaEnd = chars.firstIndex { $0 == "e" || $0 == "E" } ?? chars.endIndex
        let mantissa = chars[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.contains(where: { !$0.isEmpty }) else { return false }
        if mantissaEnd < chars.endIndex {
            var exponent = chars[chars.index(after: mantissaEnd)...]
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        }
        return true
    }
}
