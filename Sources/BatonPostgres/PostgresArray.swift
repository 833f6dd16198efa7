/// A one-dimensional Postgres array, sent as its text literal (`{"a","b",NULL}`), for
/// set-based statements (`unnest($1::text[])`).
public struct PostgresArray: PostgresEncodable {
    private let literal: [UInt8]

    /// Elements as text; nil elements are NULL.
    public init(_ elements: some Sequence<String?>) {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        for element in elements {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            guard let element else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        literal = out
    }

    public init(_ elements: some Sequence<String>) {
        self.init(elements.lazy.map { Optional($0) })
    }

    public init(_ elements: some Sequence<Int>) {
        self.init(elements.lazy.map { Optional(String($0)) })
    }

    public var postgresValue: PostgresValue { PostgresValue(bytes: literal) }
}
