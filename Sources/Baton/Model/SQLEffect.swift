/// A SQL statement with positional parameters (`$1…`), run inside the item's commit
/// transaction.
public struct SQLEffect: Sendable, Hashable {
    /// The statement.
    public var sql: String
    /// Text values (nil = NULL); the server infers their types from the statement (cast when
    /// needed: `$1::int`).
    public var parameters: [String?]

    /// A statement and its parameters.
    public init(sql: String, parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}
