/// An HTTP protocol version: requested in ``HTTPRequest/httpVersion``, reported in
/// ``HTTPResponse/httpVersion``.
public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http1_0
    case http1_1
    /// HTTP/2: negotiated with ALPN over TLS; over cleartext, requested with an `h2c` upgrade.
    case http2
    /// HTTP/3, only when the linked libcurl was built with it (otherwise `.invalidRequest`).
    case http3

    public var description: String {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        case .http2: "HTTP/2"
        case .http3: "HTTP/3"
        }
    }
}
