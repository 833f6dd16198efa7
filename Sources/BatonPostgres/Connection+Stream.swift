internal import CLibPQ

extension Connection {
    /// Starts a query whose rows are read one at a time (libpq single-row mode), so a large
    /// result never sits in memory at once. Read it to the end (or ``RowStream/cancel()``)
    /// before using the connection for anything else.
    public func stream(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> RowStream {
        try ensureUsable()
        let values = parameters.map(\.postgresValue)
        let sent = ParameterBuffer(values).withPointers { count, types, pointers, lengths, formats in
            sql.withCString { PQsendQueryParams(handle, $0, count, types, pointers, lengths, formats, 0) }
        }
        guard sent == 1 else { throw error(.client, fallback: "could not send query") }
        guard PQsetSingleRowMode(handle) == 1 else {
            drainResults()
            throw error(.client, fallback: "could not enter single-row mode")
        }
        try flush(until: deadline(nil))
        return RowStream(connection: self)
    }
}

/// The rows of a streamed query, one at a time.
public final class RowStream {
    private let connection: Connection
    private var finished = false

    init(connection: Connection) { self.connection = connection }

    deinit { if !finished { cancel() } }

    /// The next row as a one-row result, or nil after the last row. Each row must arrive
    /// within the connection's answer timeout.
    public func next() throws -> QueryResult? {
        guard !finished else { return nil }
        let raw: OpaquePointer?
        do {
            raw = try connection.nextResult(until: connection.deadline(nil))
        } catch {
            finished = true
            throw error
        }
        guard let raw else {
            finished = true
            return nil
        }
        if PQresultStatus(raw) == PGRES_TUPLES_OK {
            // The zero-row result that ends a single-row-mode query.
            PQclear(raw)
            connection.drainResults()
            finished = true
            return nil
        }
        do {
            return try connection.check(raw)
        } catch {
            connection.drainResults()
            finished = true
            throw error
        }
    }

    /// Stops reading: cancels the query on the server and discards what is left.
    public func cancel() {
        guard !finished else { return }
        finished = true
        connection.makeCancelHandle()?.cancelCurrentStatement()
        connection.drainResults()
    }
}
