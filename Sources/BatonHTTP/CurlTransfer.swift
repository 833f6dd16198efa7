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
    /// The largest body (and the largest header block) accepted.
    let limit: Int

    private var body: [UInt8] = []
    /// The current response's header lines as received (``HTTPResponse`` reads them if asked).
    private var headerBlock: [UInt8] = []
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
            headerBlock: headerBlock,
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
    /// the status lines of redirects and of `100 Continue`. Keeps the lines of the latest
    /// response; they are parsed only if someone asks for a header.
    fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        if bytes.starts(with: HTTPResponse.statusPrefix) {
            // A new response begins: forget the previous one's headers (and any body).
            headerBlock.removeAll(keepingCapacity: true)
            body.removeAll(keepingCapacity: true)
        }
        guard bytes.count <= limit - headerBlock.count else {
            exceededLimit = true
            return 0
        }
        headerBlock.append(contentsOf: bytes)
        return bytes.count
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
