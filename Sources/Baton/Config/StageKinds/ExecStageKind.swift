import Yams

/// `exec: { command: … }`: a subprocess per item (`mode: once`), or long-lived children fed
/// one item per line (`mode: stream`).
enum ExecStageKind: StageKind {
    static let key = "exec"
    static let ownKeys: [String] = []
    static let example = "`exec: { command: [python3, enrich.py] }` to run a program"
    /// The keys of the `exec:` mapping.
    static let keys = ["command", "mode", "timeout", "env", "cwd", "fail_on_exit", "start_timeout", "processes", "window"]

    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind? {
        let path = stage.path(key)
        guard let config = decoder.decodeExec(entry.value, path),
              let transform = decoder.build(entry.value, path, { try ExecStageKind.transform(config) }) else { return nil }
        return DecodedStageKind(transform: transform)
    }

    static func transform(_ config: ExecStageConfig) throws -> any StageTransform {
        switch config.mode {
        case .once: return try ExecTransform(config: config)
        case .stream: return try StreamExecTransform(config: config)
        }
    }
}
