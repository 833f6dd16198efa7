/// `http: { url: …, records: …, paginate: … }` with `retry:` and `incremental:`: pages of
/// records from an API.
enum HTTPSourceKind: SourceKind {
    static let key = "http"
    static let ownKeys = ["retry", "incremental"]
    /// http stage keys that mean nothing for a source (the body must be JSON records).
    static let stageOnlyKeys = ["response", "into", "status_field", "keep_headers", "failure_budget"]
    /// The keys of the source's `http:` mapping.
    static var keys: [String] { HTTPStageKind.keys.filter { !stageOnlyKeys.contains($0) } + ["records", "paginate"] }

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        decoder.decodeHTTPSource(entry.value, source.path(key), source: source).map { DecodedSourceKind(definition: $0) }
    }
}
