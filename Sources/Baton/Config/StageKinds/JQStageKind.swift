import Yams

/// `jq: PROGRAM`: reshape, filter or fan out items.
enum JQStageKind: StageKind {
    static let key = "jq"
    static let ownKeys: [String] = []
    static let example = "`jq: '.'` to reshape items"

    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind? {
        let path = stage.path(key)
        guard let program = decoder.nonEmptyText(entry.value, path, what: "a jq program", interpolate: false),
              decoder.compileJQ(program, entry.value, path),
              let transform = decoder.build(entry.value, path, { try JQTransform(program: program) }) else { return nil }
        let emits = JQObjectShape.fields(of: program).map(EmittedFields.fields) ?? .unknown
        return DecodedStageKind(transform: transform, emits: emits)
    }
}
