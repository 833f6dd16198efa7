/// JSON text for a `jsonb` parameter.
public struct JSONB: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array(text.utf8), typeOID: 3802) }
}
