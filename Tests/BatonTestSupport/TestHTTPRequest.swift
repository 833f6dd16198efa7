/// A request as the ``TestHTTPServer`` received it.
public struct TestHTTPRequest: Sendable {
    /// The order in which the server received it, from 0: lets a handler answer the first
    /// request differently from the next ones without keeping state.
    public let sequence: Int
    /// Which accepted TCP connection it came on, from 1.
    public let connection: Int
    public let method: String
    /// The request target as sent: path and query.
    public let target: String
    /// The headers as received, in order, names as sent.
    public let headers: [(String, String)]
    public let body: [UInt8]

    /// The target without its query.
    public var path: String {
        String(target.prefix { $0 != "?" })
    }

    /// The query (after `?`), or `nil`.
    public var query: String? {
        target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) }
    }

    /// The body decoded as UTF-8.
    public var bodyString: String {
        String(decoding: body, as: UTF8.self)
    }

    /// The value of the last header called `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.last { $0.0.lowercased() == name }?.1
    }
}
