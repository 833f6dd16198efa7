/// `sql: QUERY` with `database_url:` and `incremental:` (`:_cursor` in the query).
enum SQLSourceKind: SourceKind {
    static let key = "sql"
    static let ownKeys = ["database_url", "incremental"]

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        let query = decoder.nonEmptyText(entry.value, source.path(key), what: "a SQL query")
        let database = source["database_url"].flatMap { decoder.nonEmptyText($0, source.path("database_url"), what: "a database URL") }
        guard let query, source["database_url"] == nil || database != nil else { return nil }
        let parameters = SQLTemplate(query).parameters
        let cursor = ":" + SQLSource.cursorParameter
        if source.contains("incremental") {
            if !parameters.contains(SQLSource.cursorParameter) {
                decoder.report(entry.value, source.path(key), "the query of an incremental source does not use `\(cursor)`",
                               hint: "filter on the cursor so each run reads only what is new, e.g. WHERE updated_at >= \(cursor) ORDER BY updated_at")
                return nil
            }
            if let other = parameters.first(where: { $0 != SQLSource.cursorParameter }) {
                decoder.report(entry.value, source.path(key), "a source query has no item to take `:\(other)` from; its only parameter is `\(cursor)`",
                               hint: "write a literal, or `::` for a cast (`x::int`)")
                return nil
            }
        } else if parameters.contains(SQLSource.cursorParameter) {
            decoder.report(entry.value, source.path(key), "`\(cursor)` is the incremental cursor, but the source has no `incremental:`",
                           hint: "add e.g. incremental: { cursor: .updated_at, initial: \"2026-01-01T00:00:00Z\" }")
            return nil
        }
        var definition = SQLSource(query: query, databaseURL: database)
        definition.location = decoder.valueLocation(entry.value, source.path(key), value: query)
        return DecodedSourceKind(definition: definition)
    }
}
