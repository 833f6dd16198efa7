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

/// A Swift value that can be bound to a statement parameter.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
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

/// Binary data for a `bytea` parameter.
public struct Bytea: PostgresEncodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresValue: PostgresValue { PostgresValue(bytes: bytes, isBinary: true, typeOID: 17) }
}

/// JSON text for a `jsonb` parameter.
public struct JSONB: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array(text.utf8), typeOID: 3802) }
}

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

/// Holds parameter bytes contiguously for the duration of one libpq call.
struct ParameterBuffer {
    private var storage: [CChar] = []
    private var offsets: [Int?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []
    private var types: [UInt32] = []

    init(_ values: [PostgresValue]) {
        storage.reserveCapacity(values.reduce(0) { $0 + ($1.bytes?.count ?? 0) + 1 })
        for value in values {
            types.append(value.typeOID)
            formats.append(value.isBinary ? 1 : 0)
            if let bytes = value.bytes {
                offsets.append(storage.count)
                lengths.append(Int32(bytes.count))
                for byte in bytes { storage.append(CChar(bitPattern: byte)) }
                storage.append(0)
            } else {
                offsets.append(nil)
                lengths.append(0)
            }
        }
    }

    func withPointers<R>(
        _ body: (Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        storage.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { buffer.baseAddress! + $0 }
            }
            return pointers.withUnsafeBufferPointer { p in
                types.withUnsafeBufferPointer { t in
                    lengths.withUnsafeBufferPointer { l in
                        formats.withUnsafeBufferPointer { f in
                            body(Int32(offsets.count), t.baseAddress, p.baseAddress, l.baseAddress, f.baseAddress)
                        }
                    }
                }
            }
        }
    }
}
