/// What is known of the items a stage emits (for SQL parameter checks downstream).
enum EmittedFields {
    case unknown
    /// The items it received, unchanged.
    case input
    /// Objects with these fields.
    case fields([String])
}
