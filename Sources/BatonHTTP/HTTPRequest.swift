/// One HTTP request, as plain data: build it, hand it to ``HTTPClient/send(_:)``.
///
/// Defaults are the safe ones: TLS verification on, at most 5 redirects (to http and https
/// only), a 10 MiB response limit, compressed responses accepted and decoded transparently.
public struct HTTPRequest: Sendable {
    /// The request method, sent as given (`GET`, `POST`, `PUT`, …).
    public var method: String
    /// An absolute `http://` or `https://` URL. Other schemes fail with `.protocolRefused`.
    public var url: String
    /// Request headers in order, sent as given. Names and values may not contain CR, LF or NUL.
    public var headers: [(String, String)]
    /// The request body; `nil` sends none. libcurl copies it when the transfer starts.
    public var body: [UInt8]?
    /// The longest time to wait for the connection (DNS, TCP and TLS handshakes).
    public var connectTimeout: Duration = .seconds(10)
    /// The longest time the whole transfer may take, redirects included.
    public var timeout: Duration = .seconds(30)
    /// How many redirects to follow; `0` returns the 3xx response itself.
    public var maxRedirects: Int = 5
    /// The largest response body accepted (after decoding); a larger one aborts the transfer
    /// with `.tooLarge` as soon as the limit is crossed. Also bounds the headers' total size.
    public var maxResponseBytes: Int = 10 * 1024 * 1024
    /// Disables TLS certificate and host name verification. For tests only.
    public var insecure: Bool = false
    /// A PEM file of CA certificates to verify the server with, instead of the system's.
    public var caFile: String?
    /// The HTTP version to ask for; `nil` lets libcurl choose (HTTP/2 over TLS when the
    /// server agrees, HTTP/1.1 otherwise).
    public var httpVersion: HTTPVersion?
    /// Sends `Accept-Encoding` with every encoding libcurl can decode (gzip, deflate, br, …)
    /// and decodes the response body transparently.
    public var acceptEncoding: Bool = true

    public init(
        method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
