/// What the ``TestHTTPServer`` does with a request: the handler's answer.
public enum TestHTTPAction: Sendable {
    /// Sends a response with a `Content-Length` (unless `headers` has one: then it is sent
    /// as given, which makes truncated bodies possible). A `Connection: close` header makes
    /// the server close the connection after the response; otherwise it stays open.
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// Sends the status and headers without a length, then `chunk` `count` times, then
    /// closes the connection: a body whose size the client learns only at the end.
    case stream(status: Int, headers: [(String, String)], chunk: [UInt8], count: Int)
    /// Sends nothing for this long (or until the client or ``TestHTTPServer/stop()`` closes
    /// the connection), then closes the connection.
    case hang(Duration)
    /// Closes the connection abruptly with a TCP reset (`SO_LINGER` 0), without answering.
    case reset
    /// Closes the connection normally without answering.
    case close

    /// A `text/plain` response.
    public static func text(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Self {
        .respond(status: status, headers: [("Content-Type", "text/plain")] + headers, body: Array(text.utf8))
    }

    /// An `application/json` response.
    public static func json(_ json: String, status: Int = 200, headers: [(String, String)] = []) -> Self {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    /// A redirect to `location` with an empty body.
    public static func redirect(to location: String, status: Int = 302, headers: [(String, String)] = []) -> Self {
        .respond(status: status, headers: [("Location", location)] + headers, body: [])
    }

    /// A response with an empty body.
    public static func status(_ status: Int, headers: [(String, String)] = []) -> Self {
        .respond(status: status, headers: headers, body: [])
    }
}
