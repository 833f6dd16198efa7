/// An error from libpq or from the Postgres server.
///
/// Carries the server's SQLSTATE, message, detail and hint when the server sent them.
/// `description` never contains a password or a connection string.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let raw: String
        /// Could not open a connection (server down, bad credentials, bad parameters).
        public static let connectionFailed = Code(raw: "connectionFailed")
        /// The connection broke while in use (backend terminated, network gone).
        public static let connectionLost = Code(raw: "connectionLost")
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code(raw: "server")
        /// A statement in a pipeline was skipped because an earlier one failed.
        public static let pipelineAborted = Code(raw: "pipelineAborted")
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(raw: "decoding")
        /// The client library refused a call (bad state, out of memory…).
        public static let client = Code(raw: "client")
        /// The statement was cancelled on request.
        public static let cancelled = Code(raw: "cancelled")
        public var description: String { raw }
    }

    public var code: Code
    /// Five-character SQLSTATE (e.g. `23505`), when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position in the statement the error is about, when the server sent
    /// one (syntax errors, unknown columns…).
    public var position: Int?

    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil, position: Int? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.position = position
    }

    /// True when the connection can no longer be used and the caller should reconnect.
    public var isConnectionError: Bool {
        code == .connectionLost || code == .connectionFailed || (sqlState?.hasPrefix("08") ?? false)
            || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "; detail: \(detail)" }
        if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
        return text
    }
}
