/// `sql: QUERY` with `database_url:`.
enum SQLSourceKind: SourceKind {
    static let key = "sql"
    static let ownKeys = ["database_url"]

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        let query = decoder.nonEmptyText(entry.value, source.path(key), what: "a SQL query")
        let database = source["database_url"].flatMap { decoder.nonEmptyText($0, source.path("database_url"), what: "a database URL") }
        guard let query, source["database_url"] == nil || database != nil else { return nil }
        return DecodedSourceKind(definition: SQLSource(query: query, databaseURL: database))
    }
}
