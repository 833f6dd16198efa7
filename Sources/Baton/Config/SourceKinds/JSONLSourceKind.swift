/// `jsonl: PATH`, or a glob or folder of JSONL files (`.gz` ones decompressed).
enum JSONLSourceKind: SourceKind {
    static let key = "jsonl"
    static let ownKeys: [String] = []

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        switch decoder.fileTarget(entry.value, source.path(key), what: "the JSONL file") {
        case .file(let path): DecodedSourceKind(definition: JSONLSource(path: path))
        case .set(let pattern): DecodedSourceKind(definition: FileSetSource(pattern: pattern, format: .jsonl))
        case nil: nil
        }
    }
}
