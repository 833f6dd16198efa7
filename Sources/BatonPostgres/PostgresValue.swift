/// A parameter value as libpq sends it: text or binary bytes, or SQL NULL.
public struct PostgresValue: Sendable, Hashable {
    /// The bytes to send; nil is SQL NULL.
    public var bytes: [UInt8]?
    /// Binary format (only used for `bytea`); text format otherwise.
    public var isBinary: Bool
    /// The parameter's type OID; 0 lets the server infer it from the statement.
    public var typeOID: UInt32

    public init(bytes: [UInt8]?, isBinary: Bool = false, typeOID: UInt32 = 0) {
        self.bytes = bytes
        self.isBinary = isBinary
        self.typeOID = typeOID
    }

    public static let null = PostgresValue(bytes: nil)

    public static func text(_ string: String) -> PostgresValue {
        PostgresValue(bytes: Array(string.utf8))
    }
}

extension PostgresValue: PostgresEncodable {
    public var postgresValue: PostgresValue { self }
}

extension String: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array(String(self).utf8), typeOID: 20) }
}

extension Int64: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array(String(self).utf8), typeOID: 20) }
}

extension Int32: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array(String(self).utf8), typeOID: 23) }
}

extension Double: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array("\(self)".utf8), typeOID: 701) }
}

extension Bool: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(bytes: self ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")], typeOID: 16) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
