import BatonJQ
import BatonPostgres

/// A SQL query as a source: each row becomes one JSON object (`to_jsonb` of the row, so
/// numbers, booleans and nested JSON keep their types). Rows are streamed, never held all at
/// once. The position is the number of rows read, with a hash of those rows: a resumed
/// seeding re-runs the query and skips that many rows if they are the rows it had read
/// (give the query an `ORDER BY` that makes its order stable). If they are not (rows deleted,
/// inserted or changed since), it reads the query again from its first row, and the rows
/// already seeded are deduplicated by key: skipping by count would lose rows.
final class QuerySourceReader: SourceReader {
    private let connection: Connection
    private var rows: RowStream
    private let query: String
    private let parameters: [String]
    private var count: Int64 = 0
    /// A hash of the rows read so far, in order (the position's state).
    private var rolling: UInt64 = 0
    var position: SourcePosition { SourcePosition(offset: count, line: count, state: StableHash.hex64(rolling)) }

    /// `parameters`: values of `$1…` in the query (text, typed by Postgres).
    init(connection: Connection, query: String, parameters: [String] = []) throws {
        self.connection = connection
        self.query = query
        self.parameters = parameters
        rows = try Self.open(connection, query: query, parameters: parameters)
    }

    private static func open(_ connection: Connection, query: String, parameters: [String]) throws -> RowStream {
        do {
            return try connection.stream(QuerySourceReader.wrap(query), parameters)
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
            guard try next() != nil else { break }
        }
        // A position of an older Baton has no hash: skipped by count, as it was.
        guard let seen = position.state, let expected = UInt64(seen, radix: 16),
              count != position.offset || rolling != expected else { return }
        // Not the rows seeded before: from the first row again, at the same position (the
        // seed chunk's fence), every row offered again and deduplicated by key.
        rows.cancel()
        rows = try Self.open(connection, query: query, parameters: parameters)
        count = position.offset
        rolling = expected
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
        let payload = try row.decode(String.self, row: 0, column: 0)
        rolling = StableHash.fnv1a64(StableHash.hex64(rolling) + "\u{1}" + payload)
        return SourceRecord(line: count, payload: payload)
    }
}

extension String {
    func trimmingTrailingSemicolons() -> String {
        var text = Substring(self)
        while let last = text.last, last == ";" || last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
