/// An `exec` stage. (Not implemented yet.)
public struct ExecTransform: StageTransform {
    public let config: ExecStageConfig

    public init(config: ExecStageConfig) throws {
        self.config = config
    }

    public func process(_ item: StageInput) async throws -> StageOutput {
        throw StageError.permanent("exec stages are not implemented yet", class: "config")
    }

    public var fingerprint: String { "exec:\(config.command.joined(separator: "\u{1}"))" }
    public var kindName: String { "exec" }
}
