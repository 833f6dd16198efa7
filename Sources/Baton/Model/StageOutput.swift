import BatonJQ
public import Foundation

/// What a transform produced for one item.
public struct StageOutput: Sendable {
    /// Items for the next stage (or `baton.results` after the last stage). Empty: the item is
    /// `skipped` (filtered out) unless it has effects.
    public var outputs: [OutputItem]
    /// Statements run in the item's commit transaction, in order: exactly once with the
    /// item's completion.
    public var effects: [SQLEffect]
    /// When the outputs come from the effects' `RETURNING` rows instead of `outputs`.
    public var outputsFromEffects: Bool

    /// Outputs and effects.
    public init(outputs: [OutputItem] = [], effects: [SQLEffect] = [], outputsFromEffects: Bool = false) {
        self.outputs = outputs
        self.effects = effects
        self.outputsFromEffects = outputsFromEffects
    }

    /// Outputs from JSON texts, keys derived by the engine.
    public static func outputs(_ payloads: [String]) -> StageOutput {
        StageOutput(outputs: payloads.map { OutputItem(payload: $0) })
    }

    /// Outputs encoded as JSON, keys derived by the engine.
    public static func items<T: Encodable>(_ values: [T], encoder: JSONEncoder = JSONEncoder()) throws -> StageOutput {
        StageOutput(outputs: try values.map { try OutputItem(encoding: $0, encoder: encoder) })
    }

    /// Nothing: the item is recorded as `skipped`.
    public static var skip: StageOutput { StageOutput() }

    /// True when nothing was produced: the item is recorded as `skipped`.
    public var isSkip: Bool { outputs.isEmpty && effects.isEmpty }
}
