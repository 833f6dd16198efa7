/// An `http` stage. (Being implemented: see the HTTP stage issue.)
public struct HTTPTransform: StageTransform {
    public let config: HTTPStageConfig

    public init(config: HTTPStageConfig) throws {
        self.config = config
    }

    public func process(_ item: StageInput) async throws -> StageOutput {
        throw StageError.permanent("http stages are not implemented yet", class: "config")
    }

    public var fingerprint: String { "http:\(config.fingerprint)" }
    public var kindName: String { "http" }
}
