/// Binary data for a `bytea` parameter.
public struct Bytea: PostgresEncodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresValue: PostgresValue { PostgresValue(bytes: bytes, isBinary: true, typeOID: 17) }
}
