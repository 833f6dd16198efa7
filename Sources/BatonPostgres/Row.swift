/// One row of a ``QueryResult``.
public struct Row {
    public let result: QueryResult
    public let index: Int

    /// Decodes the value in a column by position.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: Int) throws -> T {
        try result.decode(type, row: index, column: column)
    }

    /// Decodes the value in a column by name.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let position = result.columnIndex(column) else {
            throw PostgresError(code: .decoding, message: "no column named \(column)")
        }
        return try result.decode(type, row: index, column: position)
    }

    /// The text of a column, nil for NULL.
    public subscript(column: Int) -> String? { result.string(row: index, column: column) }
}
