internal import CLibPQ
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
    private let usePreparedStatements: Bool
    private static let maxPreparedStatements = 256

    /// Opens a connection. Throws ``PostgresError`` with code `.connectionFailed`.
    public init(_ config: ConnectionConfig = .environment) throws {
        var parameters = config.parameters
        if !parameters.contains(where: { $0.0 == "client_encoding" }) {
            parameters.append(("client_encoding", "UTF8"))
        }
        if !parameters.contains(where: { $0.0 == "fallback_application_name" }) {
            parameters.append(("fallback_application_name", "baton"))
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
        // libpq prints notices (e.g. "relation already exists, skipping") to stderr by default.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

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
        return String(cString: text).trimmingTrailingWhitespace()
    }

    // MARK: State

    /// True while the connection is usable.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's process id for this connection (`pg_backend_pid()`).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// The server version as an integer, e.g. 150018.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

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
    /// config), so hot statements are parsed and planned once per connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        let values = parameters.map(\.postgresValue)
        let result: OpaquePointer?
        if let name = try preparedName(for: sql) {
            result = ParameterBuffer(values).withPointers { count, types, pointers, lengths, formats in
                _ = types
                return name.withCString { PQexecPrepared(handle, $0, count, pointers, lengths, formats, 0) }
            }
        } else {
            result = ParameterBuffer(values).withPointers { count, types, pointers, lengths, formats in
                sql.withCString { PQexecParams(handle, $0, count, types, pointers, lengths, formats, 0) }
            }
        }
        return try check(result)
    }

    /// Runs one or more statements without parameters (simple query protocol).
    /// Returns the last statement's result.
    @discardableResult
    public func execute(_ sql: String) throws -> QueryResult {
        let result = sql.withCString { PQexec(handle, $0) }
        return try check(result)
    }

    private func preparedName(for sql: String) throws -> String? {
        guard usePreparedStatements else { return nil }
        if let name = preparedNames[sql] { return name }
        guard preparedNames.count < Connection.maxPreparedStatements else { return nil }
        let name = "baton_\(preparedNames.count + 1)"
        let result = name.withCString { namePointer in
            sql.withCString { PQprepare(handle, namePointer, $0, 0, nil) }
        }
        _ = try check(result)
        preparedNames[sql] = name
        return name
    }

    /// Makes sure a statement is prepared, so that it can be sent inside a pipeline.
    func ensurePrepared(_ sql: String) throws -> String? {
        try preparedName(for: sql)
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
        let lost = PQstatus(handle) == CONNECTION_BAD
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
