import BatonPostgres

/// `sql: QUERY`: each row of a query (on the run's database, or `database_url`) is an item.
package struct SQLSource: SourceDefinition {
    package var query: String
    /// nil: the run's database.
    package var databaseURL: String?
    /// Where the query is in the pipeline file (for errors the server reports at a position
    /// in it); nil for pipelines built in Swift.
    package var location: ValueLocation?

    package var kindName: String { "sql" }
    package var displayName: String { "source query" }
    package var isCheckedBeforeSeeding: Bool { false }
    package var isReadableHere: Bool { true }

    /// The query text and which database it runs on (a hash of the URL: URLs may hold passwords).
    package func identity() throws -> SourceIdentity {
        SourceIdentity(kind: kindName, size: Int64(query.count), hash: StableHash.hex(query + "\u{1}" + (databaseURL ?? "")))
    }
    package var rereadsRecords: Bool { false }

    /// The name the incremental cursor is bound to in the query.
    package static let cursorParameter = "_cursor"

    /// The text the reader runs, to prepare before the run (``StatementCheck``), and the
    /// 0-based offset in ``query`` of a 0-based offset in that text (nil: outside the query).
    package func checkedText(incremental: Bool) -> (sql: String, queryOffset: @Sendable (Int) -> Int?) {
        let prefix = QuerySourceReader.wrapPrefix.unicodeScalars.count
        guard incremental else {
            return (QuerySourceReader.wrap(query), { $0 >= prefix ? $0 - prefix : nil })
        }
        let template = SQLTemplate(query)
        return (QuerySourceReader.wrap(template.sql), { $0 >= prefix ? template.originalOffset(of: $0 - prefix) : nil })
    }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader {
        let config = databaseURL.map { ConnectionConfig(url: $0) } ?? context.database
        let connection: Connection
        do {
            connection = try Connection(config)
        } catch let error as PostgresError {
            throw BatonError(.unavailable, "source database: \(error)")
        }
        guard let cursor = context.cursor else { return try QuerySourceReader(connection: connection, query: query) }
        // Incremental: `:_cursor` is bound (as text; Postgres infers its type), never spliced.
        let template = SQLTemplate(query)
        return try QuerySourceReader(connection: connection, query: template.sql,
                                     parameters: template.parameters.map { _ in cursor })
    }
}

extension SourceSpec.Kind {
    /// A SQL query; each row becomes an object. `databaseURL` nil: the run's database. With
    /// ``SourceSpec/incremental``, `:_cursor` in the query is bound to the run's cursor.
    public static func sql(query: String, databaseURL: String? = nil) -> SourceSpec.Kind {
        SourceSpec.Kind(SQLSource(query: query, databaseURL: databaseURL))
    }
}
