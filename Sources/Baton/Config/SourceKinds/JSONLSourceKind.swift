/// `jsonl: PATH`.
enum JSONLSourceKind: SourceKind {
    static let key = "jsonl"
    static let ownKeys: [String] = []

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        decoder.existingFile(entry.value, source.path(key), what: "the JSONL file")
            .map { DecodedSourceKind(definition: JSONLSource(path: $0)) }
    }
}
