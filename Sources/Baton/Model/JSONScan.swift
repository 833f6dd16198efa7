import BatonJQ

/// A strict JSON scanner for the per-item hot paths (seeding, keys, sql parameters): it tells
/// whether a text is JSON that Postgres stores as it is, and reads the plain text of members,
/// without building values or going through libjq.
///
/// It only answers what it is sure of; everything else is ``Lookup/unknown`` and the caller
/// asks jq, so the answers are the ones jq would give. Strict means RFC 8259 (jq also takes
/// `nan`, `01`, `.5` and raw control characters), no `\u0000` and no lone surrogate (jsonb
/// refuses both), numbers Postgres's numeric can hold (an exponent of at most 4 digits, at
/// most 1000 characters), and nesting under ``depthLimit`` (jq 1.6 refuses past 256).
package enum JSONScan {
    /// What a member lookup found.
    package enum Lookup: Equatable {
        /// The member, or one on the way, is absent, or a member on the way is null (jq gives
        /// `null`; a sql parameter has no value).
        case missing
        /// The member is null.
        case null
        /// The member's plain text: a string's own characters, a number or boolean as jq prints it.
        case text(String)
        /// Not decided here (not strict JSON, not an object on the way, an array or object
        /// value, an escape the scanner does not decode): ask jq.
        case unknown
    }

    package static let depthLimit = 200

    /// `strict` JSON text (``isStrict(_:)`` said so) without its whitespace outside strings,
    /// every literal as written: the compact form of a record keyed by its content.
    /// (Re-encoding through jq turned `12345678901234567890` into `12345678901234567000`, in
    /// the stored payload and in the key.)
    package static func compacted(strict text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var inString = false
            var escaped = false
            for byte in bytes {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                    continue
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                }
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// `text`, a strict JSON object, compacted with its member `name` set to `value` (strict,
    /// compact JSON text), every other literal as written: the last member of that name gets
    /// the value, or the member is added at the end (escaped member names are decoded to
    /// tell). Nil when `text` is not a strict JSON object.
    package static func settingMember(_ name: String, to value: String, in text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var scanner = Scanner(bytes: bytes)
            guard let root = scanner.document(), root.kind == .object else { return nil }
            var inner = Scanner(bytes: bytes, range: root.range)
            guard let found = inner.member(named: Substring(name)) else { return nil }
            func compact(_ range: Range<Int>) -> String {
                compacted(strict: String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
            }
            if let existing = found {
                return compact(root.range.lowerBound..<existing.range.lowerBound) + value
                    + compact(existing.range.upperBound..<root.range.upperBound)
            }
            var object = compact(root.range)
            object.removeLast()  // }
            if object != "{" { object += "," }
            return object + JSON.string(name).serialized + ":" + value + "}"
        }
    }

    /// True when `text` is one strict JSON value (surrounding whitespace allowed).
    package static func isStrict(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            return scanner.document() != nil
        }
    }

    /// The plain text at a path of member names (`["customer", "id"]` for `.customer.id`)
    /// in a strict JSON object text.
    /// `exact` (SQL parameters): a number a double would change keeps its literal
    /// (``exactNumberText(_:_:)``), and an object or array is its compact text as written.
    package static func lookup(_ path: some Collection<Substring>, in text: String, exact: Bool = false, strict: Bool = false) -> Lookup {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            guard let root = (strict ? scanner.strictObject() : nil) ?? scanner.document() else { return .unknown }
            var current = root
            for name in path {
                switch current.kind {
                case .null: return .missing
                case .object:
                    var inner = Scanner(bytes: bytes, range: current.range)
                    guard let member = inner.member(named: name) else { return .unknown }
                    guard let found = member else { return .missing }
                    current = found
                default: return .unknown
                }
            }
            return plainText(of: current, in: bytes, exact: exact)
        }
    }

    /// A member of a strict JSON object, as ``members(_:in:)`` found it.
    package enum Member: Equatable, Sendable {
        /// No member of that name.
        case missing
        case null
        case bool(Bool)
        /// A number, with the text a lookup gives for it (``numberText(_:)``).
        case number(Double, text: String)
        /// A string without escapes: its own characters.
        case string(String)
        /// An object or array as written, compacted (only when asked for `exact` text).
        case raw(String)
        /// Not decided here (an escaped string, an object, an array, a number Double cannot
        /// hold): ask jq.
        case unknown

        /// The plain text ``lookup(_:in:)`` gives for it.
        package var lookup: Lookup {
            switch self {
            case .missing: return .missing
            case .null: return .null
            case .bool(let value): return .text(value ? "true" : "false")
            case .number(_, let text): return .text(text)
            case .string(let text): return .text(text)
            case .raw(let text): return .text(text)
            case .unknown: return .unknown
            }
        }
    }

    /// The top-level members `names` of a strict JSON object text, in one scan (the last of
    /// duplicates, as jq's `.name`, escaped names decoded); nil when the text is not a strict
    /// JSON object. `exact` as for ``lookup(_:in:exact:)``.
    package static func members(_ names: [Substring], in text: String, exact: Bool = false) -> [Member]? {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            guard let root = scanner.document(), root.kind == .object else { return nil }
            var inner = Scanner(bytes: bytes, range: root.range)
            guard let found = inner.members(named: names) else { return nil }
            return found.map { value in
                guard let value else { return .missing }
                let slice = UnsafeBufferPointer(rebasing: bytes[value.range])
                switch value.kind {
                case .null: return .null
                case .bool: return .bool(slice.first == UInt8(ascii: "t"))
                case .number:
                    let literal = String(decoding: slice, as: UTF8.self)
                    return Double(literal).map { Member.number($0, text: numberText(literal, $0, exact: exact)) } ?? .unknown
                case .plainString: return .string(String(decoding: UnsafeBufferPointer(rebasing: slice.dropFirst().dropLast()), as: UTF8.self))
                case .object where exact, .array where exact: return .raw(compacted(strict: String(decoding: slice, as: UTF8.self)))
                case .escapedString, .object, .array: return .unknown
                }
            }
        }
    }

    /// A number's plain text: as jq's `.field` would print it (``JSON/format(_:)``), except an
    /// integer a double cannot hold exactly (ids past 2⁵³, such as 64-bit snowflake ids),
    /// which keeps its own digits: once `12345678901234567890` became `1.2345678901234567e+19`
    /// and `9007199254740993` became `9007199254740992`, in SQL parameters and keys alike.
    static func numberText(_ literal: String, _ value: Double) -> String {
        let formatted = JSON.format(value)
        guard literal.utf8.count > 15, formatted != literal,
              literal.utf8.enumerated().allSatisfy({ ($1 >= 0x30 && $1 <= 0x39) || ($0 == 0 && $1 == 0x2D) }) else { return formatted }
        return literal
    }

    /// ``exactNumberText(_:_:)`` when `exact`, else ``numberText(_:_:)``.
    static func numberText(_ literal: String, _ value: Double, exact: Bool) -> String {
        exact ? exactNumberText(literal, value) : numberText(literal, value)
    }

    /// A number's text for a SQL parameter: ``numberText(_:_:)``, unless the double changed
    /// the value: more than 15 significant digits (`98765432109876.54321` became
    /// `98765432109876.55`), or out of a double's range (`1e400` became
    /// `1.7976931348623157e+308`, `1e-400` became `0`). Then the literal, which Postgres
    /// reads exactly.
    static func exactNumberText(_ literal: String, _ value: Double) -> String {
        var significant = 0
        var leading = true
        for byte in literal.utf8 {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            guard byte >= 0x30 && byte <= 0x39 else { continue }
            if leading && byte == 0x30 { continue }
            leading = false
            significant += 1
        }
        if significant > 15 || !value.isFinite || (value == 0 && significant > 0) { return literal }
        return numberText(literal, value)
    }

    /// `0`, or an optional minus and 1 to 15 digits without a leading zero: a number whose text
    /// ``numberText(_:_:)`` gives back unchanged (a double holds it exactly, and it prints
    /// without exponent or fraction). `-0` is left out: its text is not the literal (`0`).
    static func isPlainInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var digits = bytes[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard let first = digits.first, digits.count <= 15 else { return false }
        if first == UInt8(ascii: "0") { return digits.count == 1 && bytes.count == 1 }
        return digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The path of a jq program that is only member names (`.id`, `.customer.id`), or nil.
    package static func simplePath(ofProgram program: String) -> [Substring]? {
        let trimmed = program.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()
        let source = String(trimmed)
        guard source.hasPrefix("."), source.count > 1 else { return nil }
        let names = source.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        for name in names {
            guard let first = name.unicodeScalars.first, first.isIdentifierStart,
                  name.unicodeScalars.allSatisfy({ $0.isIdentifierStart || ("0"..."9").contains($0) })
            else { return nil }
        }
        return names
    }

    private static func plainText(of value: Scanner.Value, in bytes: UnsafeBufferPointer<UInt8>, exact: Bool = false) -> Lookup {
        let slice = UnsafeBufferPointer(rebasing: bytes[value.range])
        switch value.kind {
        case .null: return .null
        case .bool: return .text(slice.first == UInt8(ascii: "t") ? "true" : "false")
        case .number:
            let literal = String(decoding: slice, as: UTF8.self)
            // An integer of at most 15 digits is its own text (a key such as `.id`: no strtod,
            // no formatting; 3 % of seeding a million records).
            if isPlainInteger(slice) { return .text(literal) }
            guard let number = Double(literal) else { return .unknown }
            return .text(numberText(literal, number, exact: exact))
        case .object where exact, .array where exact:
            return .text(compacted(strict: String(decoding: slice, as: UTF8.self)))
        case .plainString:
            return .text(String(decoding: UnsafeBufferPointer(rebasing: slice.dropFirst().dropLast()), as: UTF8.self))
        case .escapedString, .object, .array:
            return .unknown
        }
    }

    /// A recursive-descent validator over UTF-8 bytes (valid UTF-8: Swift strings are).
    private struct Scanner {
        enum Kind { case null, bool, number, plainString, escapedString, object, array }
        struct Value {
            var kind: Kind
            var range: Range<Int>
        }

        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int
        let end: Int
        var depth = 0

        init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil) {
            self.bytes = bytes
            index = range?.lowerBound ?? 0
            end = range?.upperBound ?? bytes.count
        }

        /// The object that `strict` text (``isStrict(_:)`` said so) is, without scanning it
        /// again; nil if the text is not an object.
        mutating func strictObject() -> Value? {
            skipSpace()
            guard peek == UInt8(ascii: "{") else { return nil }
            var last = end
            while last > index, case let byte = bytes[last - 1], byte == 32 || byte == 9 || byte == 10 || byte == 13 { last -= 1 }
            return Value(kind: .object, range: index..<last)
        }

        /// One value and nothing after it but whitespace.
        mutating func document() -> Value? {
            skipSpace()
            guard let value = value() else { return nil }
            skipSpace()
            return index == end ? value : nil
        }

        /// Inside an object value's range: the last member named `name` (escaped names decoded; jq's `.name` on
        /// duplicates), `.some(nil)` when there is none, nil when the scan fails.
        mutating func member(named name: Substring) -> Value?? {
            var found: Value?
            index += 1  // {
            skipSpace()
            if peek == UInt8(ascii: "}") { return .some(nil) }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let member = value() else { return nil }
                if key.kind == .plainString ? equals(key.range, name) : decodedName(key)?.utf8.elementsEqual(name.utf8) ?? false {
                    found = member
                }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}")) ? .some(found) : nil
            }
        }

        /// Inside an object value's range: for each of `names`, the last member of that name
        /// (nil when there is none); nil when the scan fails or a member name is escaped.
        mutating func members(named names: [Substring]) -> [Value?]? {
            var found = [Value?](repeating: nil, count: names.count)
            index += 1  // {
            skipSpace()
            if peek == UInt8(ascii: "}") { return found }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let member = value() else { return nil }
                if key.kind == .plainString {
                    for (position, name) in names.enumerated() where equals(key.range, name) { found[position] = member }
                } else if let decoded = decodedName(key) {
                    for (position, name) in names.enumerated() where decoded.utf8.elementsEqual(name.utf8) { found[position] = member }
                }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}")) ? found : nil
            }
        }

        /// An escaped member name's characters (jq decodes the string literal).
        private func decodedName(_ key: Value) -> String? {
            let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[key.range]), as: UTF8.self)
            guard case .string(let decoded)? = try? JSON(parsing: literal) else { return nil }
            return decoded
        }

        private func equals(_ range: Range<Int>, _ name: Substring) -> Bool {
            let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
            return inner.count == name.utf8.count && zip(bytes[inner], name.utf8).allSatisfy { $0 == $1 }
        }

        private var peek: UInt8? { index < end ? bytes[index] : nil }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        private mutating func literal(_ word: StaticString, _ kind: Kind) -> Value? {
            let start = index
            let count = word.utf8CodeUnitCount
            guard end - index >= count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return Value(kind: kind, range: start..<index)
        }

        mutating func value() -> Value? {
            guard let byte = peek else { return nil }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["): return container(close: byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true", .bool)
            case UInt8(ascii: "f"): return literal("false", .bool)
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        private mutating func container(close: UInt8) -> Value? {
            let start = index
            let isObject = close == UInt8(ascii: "}")
            depth += 1
            guard depth < JSONScan.depthLimit else { return nil }
            defer { depth -= 1 }
            index += 1
            skipSpace()
            if take(close) { return Value(kind: isObject ? .object : .array, range: start..<index) }
            while true {
                skipSpace()
                if isObject {
                    guard string() != nil else { return nil }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipSpace()
                }
                guard value() != nil else { return nil }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(close) else { return nil }
                return Value(kind: isObject ? .object : .array, range: start..<index)
            }
        }

        private mutating func string() -> Value? {
            let start = index
            guard take(UInt8(ascii: "\"")) else { return nil }
            var escaped = false
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return Value(kind: escaped ? .escapedString : .plainString, range: start..<index)
                case UInt8(ascii: "\\"):
                    escaped = true
                    guard let next = peek else { return nil }
                    index += 1
                    switch next {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return nil }
                        if unit == 0 || (0xDC00...0xDFFF).contains(unit) { return nil }
                        if (0xD800...0xDBFF).contains(unit) {
                            guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(),
                                  (0xDC00...0xDFFF).contains(low) else { return nil }
                        }
                    default:
                        return nil
                    }
                default:
                    if byte < 0x20 { return nil }
                }
            }
            return nil
        }

        private mutating func hex4() -> UInt32? {
            guard end - index >= 4 else { return nil }
            var unit: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                unit = unit << 4 | UInt32(digit)
                index += 1
            }
            return unit
        }

        private mutating func digits() -> Int {
            let start = index
            while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }

        private mutating func number() -> Value? {
            let start = index
            _ = take(UInt8(ascii: "-"))
            if take(UInt8(ascii: "0")) {
                if let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { return nil }
            } else if digits() == 0 {
                return nil
            }
            if take(UInt8(ascii: ".")), digits() == 0 { return nil }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                // Postgres's numeric keeps 16 383 digits after the point: `1e-99999` overflows.
                let exponent = digits()
                if exponent == 0 || exponent > 4 { return nil }
            }
            return index - start <= 1000 ? Value(kind: .number, range: start..<index) : nil
        }
    }
}

private extension Unicode.Scalar {
    var isIdentifierStart: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) || self == "_" }
}
