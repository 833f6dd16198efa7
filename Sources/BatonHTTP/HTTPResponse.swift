/// A complete HTTP response. Any status is a response: a 404 or a 500 is not an error at
/// this layer.
public struct HTTPResponse: Sendable {
    /// The status code of the final response (after redirects).
    public var status: Int
    /// The final response's headers in order, names lowercased, values trimmed. Headers of
    /// redirects and of `100 Continue` responses are not included.
    public var headers: [(String, String)] {
        get {
            switch headerStorage {
            case .parsed(let headers): headers
            case .raw(let block): Self.parse(block)
            }
        }
        set { headerStorage = .parsed(newValue) }
    }
    /// As received (most answers are never asked for a header: no strings are made for them).
    private var headerStorage: HeaderStorage

    private enum HeaderStorage: Sendable {
        case parsed([(String, String)])
        /// The header lines of the final response as sent, each ending in CRLF (or LF).
        case raw([UInt8])
    }
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
        headerStorage = .parsed(headers)
        self.body = body
        self.effectiveURL = effectiveURL
        self.totalTime = totalTime
        self.httpVersion = httpVersion
    }

    /// A response whose headers are read from `headerBlock` (the final response's header
    /// lines, status line and blank line left out or not) when first asked for.
    init(status: Int, headerBlock: [UInt8], body: [UInt8], effectiveURL: String, totalTime: Duration, httpVersion: HTTPVersion) {
        self.init(status: status, body: body, effectiveURL: effectiveURL, totalTime: totalTime, httpVersion: httpVersion)
        headerStorage = .raw(headerBlock)
    }

    /// The header lines of `block`: names lowercased, values trimmed, obsolete line folding
    /// joined to the previous value; status lines and blank lines skipped. Byte by byte:
    /// header lines are ASCII in practice, and String's Character-wise operations cost more
    /// than the rest of a small response ("\r\n" is one Character).
    static func parse(_ block: [UInt8]) -> [(String, String)] {
        var headers: [(String, String)] = []
        block.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 10 { end += 1 }
                var last = end
                while last > start, bytes[last - 1] == 10 || bytes[last - 1] == 13 { last -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<last])
                start = end + 1
                if line.isEmpty || line.starts(with: statusPrefix) { continue }
                if line[0] == 32 || line[0] == 9 {
                    // Obsolete line folding: continues the previous header's value.
                    if !headers.isEmpty { headers[headers.count - 1].1 += " " + trimmed(line[...]) }
                } else if let colon = line.firstIndex(of: 58) {
                    let name = String(decoding: line[..<colon].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
                    headers.append((name, trimmed(line[(colon + 1)...])))
                }
            }
        }
        return headers
    }

    static let statusPrefix = Array("HTTP/".utf8)

    /// The bytes without leading and trailing spaces and tabs, as text.
    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        let isBlank: (UInt8) -> Bool = { $0 == 32 || $0 == 9 }
        guard let start = bytes.firstIndex(where: { !isBlank($0) }) else { return "" }
        let end = bytes.lastIndex(where: { !isBlank($0) })!
        return String(decoding: bytes[start...end], as: UTF8.self)
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
