/// A stage written in Swift: a closure from item to outputs.
public struct SwiftTransform: StageTransform {
    private let body: @Sendable (StageInput) async throws -> StageOutput
    private let version: String

    /// `version` goes into the stage hash: change it when the closure's behaviour changes.
    public init(version: String = "1", _ body: @escaping @Sendable (StageInput) async throws -> StageOutput) {
        self.body = body
        self.version = version
    }

    public func process(_ item: StageInput) async throws -> StageOutput { try await body(item) }
    public var fingerprint: String { "swift:\(version)" }
}
