/// Derives the keys of items entering a stage: the stage's `key:` jq expression on the
/// item, or else the parent's key and the output's position (`parent/0`, `parent/1`…).
/// Deterministic, so re-enqueueing the same outputs is a no-op (DESIGN §2).
package struct KeyDeriver: Sendable {
    let expression: JQProgramPool?

    package init(expression: JQProgramPool?) {
        self.expression = expression
    }

    package func key(parent: String, position: Int, payload: String) throws -> String {
        if let expression {
            return try expression.singleText(json: payload, what: "key expression")
        }
        return "\(parent)/\(position)"
    }
}
