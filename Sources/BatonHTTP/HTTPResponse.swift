/// A complete HTTP response. Any status is a response: a 404 or a 500 is not an error at
/// this layer.
public struct HTTPResponse: Sendable {
    /// The status code of the final response (after redirects).
    public var status: Int
    /// The final response's headers in order, names lowercased, values trimmed. Headers of
    /// redirects and of `100 Continue` responses are not included.
    public var headers: [(String, String)]
    /// The body, decoded when it was sent with a content encoding.
    public var body: [UInt8]
    /// The URL of the final response, after redirects.
    public var effectiveURL: String
    /// The time the whole transfer took, redirects included.
    public var totalTime: Duration
    /// The protocol version of the final response.
    public var httpVersion: HTTPVersion

    public init(
        status: Int,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        effectiveURL: String,
        totalTime: Duration = .zero,
        httpVersion: HTTPVersion = .http1_1
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
        self.totalTime = totalTime
        self.httpVersion = httpVersion
    }

    /// The value of the last header called `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.last { $0.0 == name }?.1
    }

    /// Every value of the headers called `name` (case-insensitive), in the order received,
    /// joined with ", " as RFC 9110 (5.3) combines a repeated field; `nil` if there is none.
    /// (`Link`, `Via`, `Set-Cookie`: the last one alone dropped the others.)
    public func combinedHeader(_ name: String) -> String? {
        let name = name.lowercased()
        let values = headers.filter { $0.0 == name }.map(\.1)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
