import BatonJQ
import BatonPostgres

/// A SQL query as a source: each row becomes one JSON object (`to_jsonb` of the row, so
/// numbers, booleans and nested JSON keep their types). Rows are streamed, never held all at
/// once. The position is the number of rows read: a resumed seeding re-runs the query and
/// skips that many rows, so give the query an `ORDER BY` that makes its order stable.
final class QuerySourceReader: SourceReader {
    private let connection: Connection
    private var rows: RowStream
    private let query: String
    private var count: Int64 = 0
    var position: SourcePosition { SourcePosition(offset: count, line: count) }

    /// `parameters`: values of `$1…` in the query (text, typed by Postgres).
    init(connection: Connection, query: String, parameters: [String] = []) throws {
        self.connection = connection
        self.query = query
        do {
            rows = try connection.stream(QuerySourceReader.wrap(query), parameters)
        } catch let error as PostgresError where !error.isConnectionError {
            throw BatonError(.data, "source query failed: \(error)")
        }
    }

    static func wrap(_ query: String) -> String {
        var body = query.trimmingTrailingSemicolons()
        if body.isEmpty { body = "SELECT NULL WHERE false" }
        return "\(wrapPrefix)\(body)) AS baton_source"
    }

    /// What ``wrap(_:)`` puts before the query.
    static let wrapPrefix = "SELECT to_jsonb(baton_source)::text FROM ("


    func resume(at position: SourcePosition) throws {
        while count < position.offset {
            guard try next() != nil else { return }
        }
    }

    func next() throws -> SourceRecord? {
        let row: QueryResult?
        do {
            row = try rows.next()
        } catch let error as PostgresError {
            throw BatonError(.data, "source query failed: \(error)")
        }
        guard let row else { return nil }
        count += 1
        return SourceRecord(line: count, payload: try row.decode(String.self, row: 0, column: 0))
    }
}

extension String {
    func trimmingTrailingSemicolons() -> String {
        var text = Substring(self)
        while let last = text.last, last == ";" || last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
