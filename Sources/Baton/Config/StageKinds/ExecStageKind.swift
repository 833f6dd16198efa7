import Yams

/// `exec: { command: … }`: a subprocess per item.
enum ExecStageKind: StageKind {
    static let key = "exec"
    static let ownKeys: [String] = []
    static let example = "`exec: { command: [python3, enrich.py] }` to run a program"
    /// The keys of the `exec:` mapping.
    static let keys = ["command", "timeout", "env", "fail_on_exit"]

    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind? {
        let path = stage.path(key)
        guard let config = decoder.decodeExec(entry.value, path),
              let transform = decoder.build(entry.value, path, { try ExecTransform(config: config) }) else { return nil }
        return DecodedStageKind(transform: transform)
    }
}
