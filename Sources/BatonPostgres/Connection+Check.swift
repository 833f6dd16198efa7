internal import CLibPQ

extension Connection {
    /// Parses and plans `sql` on the server without running it (the unnamed prepared
    /// statement, replaced by the next one): throws the server's error, with its
    /// ``PostgresError/position`` in `sql`, when the statement is not valid here.
    public func checkStatement(_ sql: String) throws {
        let result = sql.withCString { PQprepare(handle, "", $0, 0, nil) }
        _ = try check(result)
    }
}
