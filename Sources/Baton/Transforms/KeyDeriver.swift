/// Derives the keys of items entering a stage: the stage's `key:` jq expression on the
/// item, or else the parent's key and the output's position (`parent/0`, `parent/1`…).
/// Deterministic, so re-enqueueing the same outputs is a no-op (DESIGN §2).
public struct KeyDeriver: Sendable {
    let expression: JQProgramPool?

    public init(expression: JQProgramPool?) {
        self.expression = expression
    }

    public func key(parent: String, position: Int, payload: String) throws -> String {
        if let expression {
            return try expression.singleText(json: payload, what: "key expression")
        }
        return "\(parent)/\(position)"
    }
}
