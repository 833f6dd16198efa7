/// Why a request got no HTTP response. HTTP statuses are responses, not errors.
///
/// The description holds the code and libcurl's message but never the URL: the caller
/// knows it and decides how to redact it.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes: `switch` with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case timeout, connectFailed, connectionReset, tooLarge, protocolRefused
            case tooManyRedirects, tls, cancelled, notSent, invalidRequest, other
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connect timeout or the total timeout expired.
        public static let timeout = Code(.timeout)
        /// No connection: refused, host not resolved, unreachable, reset before a response.
        public static let connectFailed = Code(.connectFailed)
        /// The connection broke mid-transfer, or the server closed it without a full response.
        public static let connectionReset = Code(.connectionReset)
        /// The response was larger than ``HTTPRequest/maxResponseBytes``.
        public static let tooLarge = Code(.tooLarge)
        /// The URL, or a redirect's target, uses a scheme other than http or https.
        public static let protocolRefused = Code(.protocolRefused)
        /// More redirects than ``HTTPRequest/maxRedirects``.
        public static let tooManyRedirects = Code(.tooManyRedirects)
        /// The TLS handshake or the certificate verification failed.
        public static let tls = Code(.tls)
        /// The calling task was cancelled, or the client was shut down.
        public static let cancelled = Code(.cancelled)
        /// Never started: the caller's `shouldStart` said no when its turn came (a stop).
        public static let notSent = Code(.notSent)
        /// The request cannot be sent as given: a malformed URL, a header with a line break, …
        public static let invalidRequest = Code(.invalidRequest)
        /// Any other libcurl failure.
        public static let other = Code(.other)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// libcurl's `CURLcode`, when libcurl reported the failure.
    public var curlCode: Int?
    /// libcurl's detailed message (its error buffer) or a description of the failure.
    public var message: String

    public init(code: Code, curlCode: Int? = nil, message: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// Whether trying again later may succeed: timeouts, failed connects, broken connections.
    public var isTransient: Bool {
        switch code {
        case .timeout, .connectFailed, .connectionReset: true
        default: false
        }
    }

    public var description: String {
        var text = "HTTP \(code): \(message)"
        if let curlCode { text += " (curl error \(curlCode))" }
        return text
    }
}
