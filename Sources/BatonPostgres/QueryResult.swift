internal import CLibPQ

/// The rows (or command status) of one statement. Owns its `PGresult` and frees it once.
///
/// Values arrive in text format and are decoded on access with ``PostgresDecodable``.
public final class QueryResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    public var rowCount: Int { Int(PQntuples(handle)) }
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// Rows affected by INSERT/UPDATE/DELETE/COPY… (`PQcmdTuples`), 0 when not applicable.
    public var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    public func columnName(_ column: Int) -> String {
        PQfname(handle, Int32(column)).map { String(cString: $0) } ?? ""
    }

    /// Index of a column by name, or nil.
    public func columnIndex(_ name: String) -> Int? {
        let index = name.withCString { PQfnumber(handle, $0) }
        return index < 0 ? nil : Int(index)
    }

    public func isNull(row: Int, column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The raw text bytes of one value (nil for NULL), valid while the result lives.
    func withBytes<R>(row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        if isNull(row: row, column: column) { return try body(nil) }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        let pointer = PQgetvalue(handle, Int32(row), Int32(column))!
        return try pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            try body(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// Decodes one value. NULL decodes only into an `Optional`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, row: Int, column: Int) throws -> T {
        try withBytes(row: row, column: column) { bytes in
            do {
                if let bytes { return try T.decode(postgresText: bytes) }
                return try T.decodeNull()
            } catch let failure as PostgresError {
                var failure = failure
                failure.message = "column \(columnName(column)) row \(row): \(failure.message)"
                throw failure
            }
        }
    }

    /// The text of one value, nil for NULL.
    public func string(row: Int, column: Int) -> String? {
        withBytes(row: row, column: column) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Rows, each giving typed access to its columns.
    public var rows: Rows { Rows(result: self) }

    public struct Rows: RandomAccessCollection {
        let result: QueryResult
        public var startIndex: Int { 0 }
        public var endIndex: Int { result.rowCount }
        public subscript(position: Int) -> Row { Row(result: result, index: position) }
    }
}
