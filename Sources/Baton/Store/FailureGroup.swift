/// Failed items that share a cause.
package struct FailureGroup: Sendable, Hashable {
    package var stage: String
    /// `http 404`, `sqlstate 23505`, `jq`, `bad record`…
    package var errorClass: String
    /// The message with numbers replaced by `N` whatever their format (`98.7`, `99`, `1e3`),
    /// so items failing alike group together.
    package var pattern: String
    package var count: Int
    package var exampleKeys: [String]
    /// One full message of the group.
    package var exampleMessage: String
}
