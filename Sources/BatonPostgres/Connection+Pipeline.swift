internal import CLibPQ

extension Connection {
    /// One statement of a pipeline.
    public struct PipelineStatement: Sendable {
        public var sql: String
        public var parameters: [PostgresValue]
        public init(_ sql: String, _ parameters: [any PostgresEncodable] = []) {
            self.sql = sql
            self.parameters = parameters.map(\.postgresValue)
        }
        public init(sql: String, values: [PostgresValue]) {
            self.sql = sql
            self.parameters = values
        }
    }

    /// Sends all statements at once in libpq pipeline mode, then one Sync, and reads their
    /// results: one round trip for the lot.
    ///
    /// Outside a transaction block the statements run as ONE implicit transaction: it commits
    /// at the Sync when all succeed and rolls back entirely when one fails. The server does
    /// this on its own once the messages are sent, so a client that stops right after sending
    /// never holds a transaction open. Inside an explicit transaction the statements join it.
    ///
    /// The first failing statement stops the pipeline (the server skips the rest); it is
    /// thrown as ``PipelineFailure`` with its index.
    @discardableResult
    public func pipeline(_ statements: [PipelineStatement], timeout: Duration? = nil) throws -> [QueryResult] {
        let (results, failure) = try pipelineUntilFailure(statements, timeout: timeout)
        if let failure { throw failure }
        return results
    }

    /// Like ``pipeline(_:timeout:)``, but a failing statement is returned with the results of
    /// the statements before it instead of thrown. Lost connections and timeouts still throw.
    public func pipelineUntilFailure(_ statements: [PipelineStatement], timeout: Duration? = nil) throws
        -> (results: [QueryResult], failure: PipelineFailure?) {
        guard !statements.isEmpty else { return ([], nil) }
        // Behind a transaction pooler the session settings travel with each transaction; the
        // added statement's result and index stay invisible to the caller.
        if let (index, settings) = settingsStatement(for: statements) {
            var (results, failure) = try pipelineUntilFailure(sending: Array(statements[..<index]) + [settings] + statements[index...],
                                                              timeout: timeout)
            if results.count > index { results.remove(at: index) }
            if var shifted = failure {
                if shifted.index >= index { shifted.index = max(0, shifted.index - 1) }
                failure = shifted
            }
            return (results, failure)
        }
        return try pipelineUntilFailure(sending: statements, timeout: timeout)
    }

    private func pipelineUntilFailure(sending statements: [PipelineStatement], timeout: Duration?) throws
        -> (results: [QueryResult], failure: PipelineFailure?) {
        let deadline = deadline(timeout)
        try ensureUsable()
        // Prepare outside pipeline mode (once per connection and statement text).
        var names: [String?] = []
        names.reserveCapacity(statements.count)
        for statement in statements { names.append(try preparedName(for: statement.sql, until: deadline)) }

        guard PQenterPipelineMode(handle) == 1 else {
            throw error(.client, fallback: "could not enter pipeline mode")
        }
        defer { if isHealthy { PQexitPipelineMode(handle) } }

        for (statement, name) in zip(statements, names) {
            let sent = ParameterBuffer(statement.parameters).withPointers { count, types, pointers, lengths, formats in
                if let name {
                    return name.withCString { PQsendQueryPrepared(handle, $0, count, pointers, lengths, formats, 0) }
                }
                return statement.sql.withCString { PQsendQueryParams(handle, $0, count, types, pointers, lengths, formats, 0) }
            }
            guard sent == 1 else {
                let failure = error(.client, fallback: "could not send pipelined statement")
                abandonPipeline(until: deadline)
                throw failure
            }
        }
        guard PQpipelineSync(handle) == 1 else {
            let failure = error(.client, fallback: "could not sync pipeline")
            abandonPipeline(until: deadline)
            throw failure
        }
        try flush(until: deadline)

        var results: [QueryResult] = []
        results.reserveCapacity(statements.count)
        var firstFailure: PipelineFailure?
        for index in statements.indices {
            // Each statement's results end with a NULL from PQgetResult.
            while let result = try nextResult(until: deadline) {
                do {
                    let checked = try check(result)
                    if firstFailure == nil { results.append(checked) }
                } catch let failure as PostgresError {
                    if firstFailure == nil, failure.code != .pipelineAborted {
                        firstFailure = PipelineFailure(index: index, error: failure)
                    }
                }
            }
            if !isHealthy { break }
        }
        // The sync point.
        if isHealthy { try readSync(until: deadline) }
        guard isHealthy else {
            if let firstFailure, firstFailure.error.isConnectionError { throw firstFailure.error }
            throw error(.connectionLost, fallback: "connection lost during pipeline")
        }
        return (results, firstFailure)
    }

    /// Reads results up to and including the pipeline's sync point.
    private func readSync(until deadline: ContinuousClock.Instant) throws {
        while true {
            guard let result = try nextResult(until: deadline) else {
                if !isHealthy { return }
                continue
            }
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { return }
        }
    }

    /// After a failed send: ends the pipeline (sync, then read everything back) so the
    /// connection can leave pipeline mode; a connection that cannot is reported unhealthy.
    private func abandonPipeline(until deadline: ContinuousClock.Instant) {
        guard isHealthy, PQpipelineSync(handle) == 1 else { return }
        do {
            try flush(until: deadline)
            try readSync(until: deadline)
        } catch {
            markBroken()
        }
    }
}

/// A statement of a pipeline failed; `index` is its position in the list.
public struct PipelineFailure: Error, Sendable, CustomStringConvertible {
    public var index: Int
    public var error: PostgresError
    public var description: String { "statement \(index + 1) of the pipeline failed: \(error)" }
}
