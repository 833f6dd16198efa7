extension Connection {
    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws
    /// (the error is rethrown). A transaction that failed inside `body` without `body`
    /// noticing is rolled back too, never silently "committed".
    @discardableResult
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try execute(beginStatement)
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        if transactionStatus == .failedTransaction {
            rollbackQuietly()
            throw PostgresError(code: .client, message: "transaction aborted by an earlier error; rolled back")
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    /// Runs `body` inside a savepoint of the current transaction: released when it returns,
    /// rolled back to (undoing only `body`'s writes) when it throws.
    @discardableResult
    public func savepoint<T>(_ name: String = "baton_sp", _ body: (Connection) throws -> T) throws -> T {
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body(self)
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            if isHealthy { _ = try? execute("ROLLBACK TO SAVEPOINT \(name)") }
            throw error
        }
    }

    /// Rolls back if a transaction is open; ignores errors (the connection may be gone).
    public func rollbackQuietly() {
        guard isHealthy, transactionStatus != .idle else { return }
        _ = try? execute("ROLLBACK")
    }
}
