/// What a `sql` stage passes on to the next stage.
public enum SQLOutputs: String, Sendable, CaseIterable {
    /// The input item, unchanged.
    case input
    /// The rows of the statement's `RETURNING` clause, one item each.
    case returning
    /// Nothing.
    case none
}
