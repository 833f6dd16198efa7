internal import CLibPQ
import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// One libpq connection (`PGconn`).
///
/// Not `Sendable`: libpq forbids using one connection from two threads at once. Confine a
/// connection to one thread (see ``DedicatedThreadExecutor``); every call on it blocks that
/// thread until the server answers.
public final class Connection {
    let handle: OpaquePointer
    private var preparedNames: [String: String] = [:]
    /// ``parameterTypes(of:timeout:)`` answers, per statement text (two round trips each).
    private var parameterTypeCache: [String: [String]] = [:]
    private var usePreparedStatements: Bool
    /// True when the connection goes through a transaction pooler (``PoolerMode``): no
    /// statement is prepared by name and no setting is left on the session.
    public private(set) var isPooled = false
    /// Behind a transaction pooler: the session settings, applied to every transaction
    /// (``Connection+Pooler.swift``).
    private(set) var transactionSettings: [(String, String)] = []
    private static let maxPreparedStatements = 256
    /// How long one exchange with the server may take before the connection is given up.
    let answerTimeout: Duration
    /// Set when an exchange timed out: the connection's state is unknown, never reuse it.
    private(set) var isBroken = false

    /// Opens a connection. Throws ``PostgresError`` with code `.connectionFailed`.
    public init(_ config: ConnectionConfig = .environment) throws {
        var parameters = config.parameters
        if !parameters.contains(where: { $0.0 == "client_encoding" }) {
            parameters.append(("client_encoding", "UTF8"))
        }
        for (keyword, value) in ConnectionConfig.defaults where !parameters.contains(where: { $0.0 == keyword }) {
            parameters.append((keyword, value))
        }
        let conn = Connection.connect(parameters)
        guard let conn else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Connection.errorMessage(conn)
            PQfinish(conn)
            throw PostgresError(code: .connectionFailed, message: "could not connect to Postgres: \(message)")
        }
        handle = conn
        usePreparedStatements = config.usePreparedStatements
        answerTimeout = config.answerTimeout
        // libpq prints notices (e.g. "relation already exists, skipping") to stderr by default.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        // Every exchange waits with a deadline (Connection+Wait.swift).
        guard PQsetnonblocking(conn, 1) == 0 else {
            throw PostgresError(code: .connectionFailed, message: "could not switch the connection to non-blocking mode")
        }
        isPooled = try isBehindTransactionPooler(config.pooler)
        if isPooled {
            usePreparedStatements = false
            transactionSettings = config.sessionSettings
        } else {
            for (name, value) in config.sessionSettings {
                try execute("SET \(name) = \(Connection.quoteLiteral(value))")
            }
        }
    }

    /// Gives the connection up (after a timed-out exchange): every later call fails, and the
    /// owner opens a new one.
    func markBroken() { isBroken = true }

    deinit {
        PQfinish(handle)
    }

    private static func connect(_ parameters: [(String, String)]) -> OpaquePointer? {
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        return keywordPointers.withUnsafeMutableBufferPointer { k in
            valuePointers.withUnsafeMutableBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
            }
        }
    }

    static func errorMessage(_ conn: OpaquePointer) -> String {
        guard let text = PQerrorMessage(conn) else { return "unknown error" }
        // libpq's messages span lines ("…unexpectedly\n\tThis probably means…"): one line.
        return String(cString: text).trimmingTrailingWhitespace()
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    // MARK: State

    /// True while the connection is usable.
    public var isHealthy: Bool { !isBroken && PQstatus(handle) == CONNECTION_OK }

    /// The server's process id for this connection (`pg_backend_pid()`).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether a transaction block is open on this connection.
    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failedTransaction
        case PQTRANS_ACTIVE: return .active
        default: return .unknown
        }
    }

    public enum TransactionStatus: Sendable {
        case idle, inTransaction, failedTransaction, active, unknown
    }

    /// Quotes an identifier (`PQescapeIdentifier`): `my table` → `"my table"`.
    public func quoteIdentifier(_ identifier: String) throws -> String {
        let quoted = identifier.withCString { PQescapeIdentifier(handle, $0, strlen($0)) }
        guard let quoted else { throw error(.client, fallback: "could not quote identifier") }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: Statements

    /// Runs one statement with bound parameters (`$1…$n`) and returns its result.
    ///
    /// Statements are prepared on first use and reused afterwards (unless turned off in the
    /// config), so hot statements are parsed and planned once per connection. `timeout`
    /// overrides the connection's answer timeout for this statement.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = [], timeout: Duration? = nil) throws -> QueryResult {
        // Behind a transaction pooler a statement outside a transaction is a transaction of
        // its own: the settings go with it, in the same round trip.
        if isPooled && !transactionSettings.isEmpty && transactionStatus == .idle {
            return try pipeline([PipelineStatement(sql, parameters)], timeout: timeout)[0]
        }
        let deadline = deadline(timeout)
        try ensureUsable()
        try send(sql, parameters.map(\.postgresValue), until: deadline)
        return try collectResults(until: deadline)
    }

    /// Runs one or more statements without parameters (simple query protocol).
    /// Returns the last statement's result.
    @discardableResult
    public func execute(_ sql: String, timeout: Duration? = nil) throws -> QueryResult {
        let deadline = deadline(timeout)
        try sendSimple(sql, until: deadline)
        return try collectResults(until: deadline)
    }

    /// Runs one statement (as ``execute(_:timeout:)``) on each connection at once: every
    /// statement is sent before any answer is read, so the server works on them side by side,
    /// one backend each. Returns each statement's result or error, in order; a failure of one
    /// leaves the others to finish, and every connection ready for its next statement.
    public static func executeTogether(_ work: [(Connection, String)], timeout: Duration? = nil) -> [Result<QueryResult, any Error>] {
        let sent: [Result<ContinuousClock.Instant, any Error>] = work.map { conn, sql in
            let deadline = conn.deadline(timeout)
            return Result { try conn.sendSimple(sql, until: deadline); return deadline }
        }
        return zip(work, sent).map { job, sent in
            sent.flatMap { deadline in Result { try job.0.collectResults(until: deadline) } }
        }
    }

    /// Queues a statement of the simple query protocol and sends it, without reading the answer.
    private func sendSimple(_ sql: String, until deadline: ContinuousClock.Instant) throws {
        try ensureUsable()
        let sql = isPooled && sql.uppercased() == "BEGIN" ? beginStatement : sql
        guard sql.withCString({ PQsendQuery(handle, $0) }) == 1 else { throw error(.client, fallback: "could not send the statement") }
        try flush(until: deadline)
    }

    /// Queues one statement (prepared if possible) without waiting for its result.
    func send(_ sql: String, _ values: [PostgresValue], until deadline: ContinuousClock.Instant) throws {
        let name = try preparedName(for: sql, until: deadline)
        let sent = ParameterBuffer(values).withPointers { count, types, pointers, lengths, formats in
            if let name {
                return name.withCString { PQsendQueryPrepared(handle, $0, count, pointers, lengths, formats, 0) }
            }
            return sql.withCString { PQsendQueryParams(handle, $0, count, types, pointers, lengths, formats, 0) }
        }
        guard sent == 1 else { throw error(.client, fallback: "could not send the statement") }
        try flush(until: deadline)
    }

    func ensureUsable() throws {
        guard !isBroken else {
            throw PostgresError(code: .connectionLost, message: "connection to Postgres lost: an earlier exchange timed out")
        }
    }

    /// The name of the statement prepared for `sql` on this connection (preparing it now if
    /// needed); nil when prepared statements are off or the cache is full. Outside pipeline
    /// mode only.
    func preparedName(for sql: String, until deadline: ContinuousClock.Instant) throws -> String? {
        guard usePreparedStatements else { return nil }
        if let name = preparedNames[sql] { return name }
        guard preparedNames.count < Connection.maxPreparedStatements else { return nil }
        let name = "baton_\(preparedNames.count + 1)"
        let sent = name.withCString { namePointer in sql.withCString { PQsendPrepare(handle, namePointer, $0, 0, nil) } }
        guard sent == 1 else { throw error(.client, fallback: "could not prepare the statement") }
        try flush(until: deadline)
        _ = try collectResults(until: deadline)
        preparedNames[sql] = name
        return name
    }

    /// The types the server infers for a statement's parameters (`PQdescribePrepared`), as
    /// type names (`bigint`, `text`, `timestamp with time zone`…). Prepares it if needed;
    /// remembered per statement text for the life of the connection.
    public func parameterTypes(of sql: String, timeout: Duration? = nil) throws -> [String] {
        if let known = parameterTypeCache[sql] { return known }
        let types = try describeParameterTypes(of: sql, timeout: timeout)
        if parameterTypeCache.count < Connection.maxPreparedStatements { parameterTypeCache[sql] = types }
        return types
    }

    private func describeParameterTypes(of sql: String, timeout: Duration?) throws -> [String] {
        // Behind a transaction pooler the unnamed statement lives only as long as the
        // transaction: prepare and describe it inside one.
        if isPooled && transactionStatus == .idle {
            return try transaction { try $0.describeParameterTypes(of: sql, timeout: timeout) }
        }
        let deadline = deadline(timeout)
        try ensureUsable()
        let name: String
        if let prepared = try preparedName(for: sql, until: deadline) {
            name = prepared
        } else {
            name = ""
            guard sql.withCString({ PQsendPrepare(handle, "", $0, 0, nil) }) == 1 else {
                throw error(.client, fallback: "could not prepare the statement")
            }
            try flush(until: deadline)
            _ = try collectResults(until: deadline)
        }
        guard name.withCString({ PQsendDescribePrepared(handle, $0) }) == 1 else {
            throw error(.client, fallback: "could not describe the statement")
        }
        try flush(until: deadline)
        let description = try collectResults(until: deadline)
        let oids = (0..<Int(PQnparams(description.handle))).map { String(PQparamtype(description.handle, Int32($0))) }
        guard !oids.isEmpty else { return [] }
        let names = try query("SELECT format_type(o::oid, NULL) FROM unnest($1::oid[]) WITH ORDINALITY AS t(o, n) ORDER BY n",
                              [PostgresArray(oids)], timeout: deadline - .now)
        return try names.rows.map { try $0.decode(String.self, 0) }
    }

    /// Turns a `PGresult` into a ``QueryResult`` or throws the error it carries.
    func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            throw error(.client, fallback: "no result from server")
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_EMPTY_QUERY,
             PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_PIPELINE_SYNC:
            return QueryResult(result)
        case PGRES_PIPELINE_ABORTED:
            PQclear(result)
            throw PostgresError(code: .pipelineAborted, message: "statement skipped: an earlier statement in the pipeline failed")
        default:
            let failure = serverError(result)
            PQclear(result)
            throw failure
        }
    }

    /// The error carried by a failed result, classified (server error vs. lost connection).
    func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let value = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(UInt8(ascii: "C"))
        var message = field(UInt8(ascii: "M"))
            ?? (PQresultErrorMessage(result).map { String(cString: $0) } ?? "").trimmingTrailingWhitespace()
        if message.isEmpty { message = Connection.errorMessage(handle) }
        // A FATAL error ends the session (idle-in-transaction timeout 25P03, terminated
        // 57P01…) even before libpq has seen the socket close: the connection is lost.
        let fatal = field(UInt8(ascii: "V")) == "FATAL"
        if fatal { markBroken() }
        let lost = PQstatus(handle) == CONNECTION_BAD || fatal
        if sqlState == "57014" {
            return PostgresError(code: .cancelled, sqlState: sqlState, message: message)
        }
        return PostgresError(
            code: lost ? .connectionLost : .server,
            sqlState: sqlState,
            message: lost && sqlState == nil ? "connection to Postgres lost: \(message)" : message,
            detail: field(UInt8(ascii: "D")),
            hint: field(UInt8(ascii: "H")),
            position: field(UInt8(ascii: "P")).flatMap { Int($0) }
        )
    }

    /// An error built from the connection's current error message.
    func error(_ code: PostgresError.Code, fallback: String) -> PostgresError {
        let message = Connection.errorMessage(handle)
        let lost = PQstatus(handle) == CONNECTION_BAD
        return PostgresError(
            code: lost ? .connectionLost : code,
            message: message.isEmpty ? fallback : (lost ? "connection to Postgres lost: \(message)" : message)
        )
    }

    // MARK: Cancellation

    /// A handle that cancels the statement running on this connection, from any thread.
    public func makeCancelHandle() -> CancelHandle? {
        guard let cancel = PQgetCancel(handle) else { return nil }
        return CancelHandle(cancel)
    }
}

/// Cancels the statement in progress on a connection (`PQcancel`). Safe to use from any
/// thread: libpq documents `PQcancel` as thread-safe, and the handle is freed exactly once.
public final class CancelHandle: @unchecked Sendable {
    private let cancel: OpaquePointer

    init(_ cancel: OpaquePointer) { self.cancel = cancel }

    deinit { PQfreeCancel(cancel) }

    /// Asks the server to cancel the current statement. Returns false if the request failed.
    @discardableResult
    public func cancelCurrentStatement() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(cancel, &buffer, Int32(buffer.count)) == 1
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
