internal import CCurl

/// One request on the loop thread: its easy handle, the response that libcurl's callbacks
/// fill in, and the completion of the `send` that waits for it.
///
/// Not `Sendable`: made, used and dropped on the loop thread. libcurl's callbacks get an
/// unretained pointer to it (`CURLOPT_WRITEDATA`, `CURLOPT_HEADERDATA`), valid because the
/// ``CurlDriver`` keeps the transfer until its handle has left the multi handle and been
/// reset, after which libcurl holds no pointer to it.
final class CurlTransfer {
    let easy: CurlEasy
    let ticket: CurlLoop.Ticket
    let group: HTTPTransferGroup?
    private var completion: CurlLoop.Completion?
    /// The request's header lines, alive as long as the transfer (libcurl does not copy them).
    var headerList: CurlHeaderList?
    /// The largest body (and the largest header block) accepted.
    let limit: Int

    private var body: [UInt8] = []
    private var headers: [(String, String)] = []
    private var headerBytes = 0
    /// Set when a callback refused data over ``limit``.
    private(set) var exceededLimit = false

    init(easy: CurlEasy, submission: CurlLoop.Submission) {
        self.easy = easy
        ticket = submission.ticket
        group = submission.group
        completion = submission.complete
        limit = max(0, submission.request.maxResponseBytes)
    }

    /// The pointer libcurl hands back to the callbacks.
    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Hands the outcome to the waiting `send`. Called exactly once per transfer.
    func complete(_ result: Result<HTTPResponse, HTTPError>) {
        guard let completion else { preconditionFailure("transfer completed twice") }
        self.completion = nil
        completion(result)
    }

    /// The outcome of the finished transfer. Read before the easy handle is reset.
    func result(_ code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        guard code == CURLE_OK else {
            return .failure(HTTPError(curlCode: code, detail: easy.errorMessage, exceededLimit: exceededLimit ? limit : nil))
        }
        let response = HTTPResponse(
            status: easy.info(CURLINFO_RESPONSE_CODE),
            headers: headers,
            body: body,
            effectiveURL: easy.info(string: CURLINFO_EFFECTIVE_URL) ?? "",
            totalTime: .microseconds(easy.info(offset: CURLINFO_TOTAL_TIME_T)),
            httpVersion: Self.version(easy.info(CURLINFO_HTTP_VERSION))
        )
        return .success(response)
    }

    private static func version(_ curlVersion: Int) -> HTTPVersion {
        switch curlVersion {
        case CURL_HTTP_VERSION_1_0: .http1_0
        case CURL_HTTP_VERSION_2_0: .http2
        case CURL_HTTP_VERSION_3: .http3
        default: .http1_1
        }
    }

    /// `CURLOPT_WRITEFUNCTION`: appends body bytes. Returns the number of bytes taken; less
    /// than offered aborts the transfer (`CURLE_WRITE_ERROR`).
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count <= limit - body.count else {
            exceededLimit = true
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// `CURLOPT_HEADERFUNCTION`: called once per header line of every response, including
    /// the status lines of redirects and of `100 Continue`.
    fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        // Byte by byte: header lines are ASCII in practice, and String's Character-wise
        // operations cost more than the rest of a small response ("\r\n" is one Character).
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == 10 || bytes[end - 1] == 13 { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[..<end])
        let isStatusLine = line.starts(with: Self.statusPrefix)
        if isStatusLine {
            // A new response begins: forget the previous one's headers (and any body).
            headers.removeAll(keepingCapacity: true)
            body.removeAll(keepingCapacity: true)
            headerBytes = 0
        }
        headerBytes += bytes.count
        guard headerBytes <= limit else {
            exceededLimit = true
            return 0
        }
        if isStatusLine || line.isEmpty {
            // The status line, or the blank line that ends the block.
        } else if line[0] == 32 || line[0] == 9, !headers.isEmpty {
            // Obsolete line folding: continues the previous header's value.
            headers[headers.count - 1].1 += " " + Self.trimmed(line[...])
        } else if let colon = line.firstIndex(of: 58) {
            let name = String(decoding: line[..<colon].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
            headers.append((name, Self.trimmed(line[(colon + 1)...])))
        }
        return bytes.count
    }

    private static let statusPrefix = Array("HTTP/".utf8)

    /// The bytes without leading and trailing spaces and tabs, as text.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isBlank: (UInt8) -> Bool = { $0 == 32 || $0 == 9 }
        guard let start = bytes.firstIndex(where: { !isBlank($0) }) else { return "" }
        let end = bytes.lastIndex(where: { !isBlank($0) })!
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}

/// libcurl's write callback; `context` is a ``CurlTransfer/context``.
func curlWriteBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

/// libcurl's header callback; `context` is a ``CurlTransfer/context``.
func curlWriteHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}
