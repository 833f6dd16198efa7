/// A Swift type that can be read from a value in Postgres text format.
public protocol PostgresDecodable {
    static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Self
    /// The value for SQL NULL; throws for non-optional types.
    static func decodeNull() throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws -> Self {
        throw PostgresError(code: .decoding, message: "unexpected NULL for \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Self {
        try Wrapped.decode(postgresText: bytes)
    }
    public static func decodeNull() throws -> Self { nil }
}

extension String: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

/// Parses a decimal integer straight from the bytes, without an intermediate String.
private func parseInteger<T: FixedWidthInteger>(_ bytes: UnsafeBufferPointer<UInt8>, as: T.Type) throws -> T {
    var value: T = 0
    var negative = false
    var index = 0
    if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
        negative = true
        index += 1
    }
    guard index < bytes.count else {
        throw PostgresError(code: .decoding, message: "not an integer: \(String(decoding: bytes, as: UTF8.self))")
    }
    while index < bytes.count {
        let digit = bytes[index] &- UInt8(ascii: "0")
        guard digit < 10 else {
            throw PostgresError(code: .decoding, message: "not an integer: \(String(decoding: bytes, as: UTF8.self))")
        }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = negative ? m.subtractingReportingOverflow(T(digit)) : m.addingReportingOverflow(T(digit))
        guard !o1, !o2 else {
            throw PostgresError(code: .decoding, message: "integer out of range for \(T.self): \(String(decoding: bytes, as: UTF8.self))")
        }
        value = a
        index += 1
    }
    return value
}

extension Int: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Int {
        try parseInteger(bytes, as: Int.self)
    }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Int64 {
        try parseInteger(bytes, as: Int64.self)
    }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Int32 {
        try parseInteger(bytes, as: Int32.self)
    }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Double {
        let text = String(decoding: bytes, as: UTF8.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else {
                throw PostgresError(code: .decoding, message: "not a number: \(text)")
            }
            return value
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Bool {
        switch bytes.first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw PostgresError(code: .decoding, message: "not a boolean: \(String(decoding: bytes, as: UTF8.self))")
        }
    }
}

extension Bytea: PostgresDecodable {
    /// Decodes the `\x…` hex output format (the default since Postgres 9.0).
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Bytea {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw PostgresError(code: .decoding, message: "bytea not in hex format")
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw PostgresError(code: .decoding, message: "bad hex digit in bytea")
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count - 2) / 2)
        var i = 2
        while i < bytes.count {
            out.append(try nibble(bytes[i]) << 4 | nibble(bytes[i + 1]))
            i += 2
        }
        return Bytea(out)
    }
}

extension JSONB: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> JSONB {
        JSONB(String(decoding: bytes, as: UTF8.self))
    }
}
