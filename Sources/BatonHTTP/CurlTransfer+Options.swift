internal import CCurl

extension CurlTransfer {
    /// The schemes allowed, for the request and for every redirect.
    private static let protocols = "http,https"

    /// Sets the options of `request` on the easy handle: all of them on a new or reset
    /// handle, or on one set up for other requests (which is reset first); only the URL, the
    /// body and the callbacks' context on a handle whose last request had the same profile
    /// (the same method, headers, limits, timeouts and TLS settings: the requests of one
    /// stage), which spares libcurl a reset and a dozen options per request.
    func configure(_ request: HTTPRequest) throws(HTTPError) {
        try Self.validate(request)
        let profile = CurlProfile(request)
        if easy.profile == profile {
            easy.clearError()
        } else {
            if easy.profile != nil { try easy.reset() }
            try setProfile(request, profile)
            easy.profile = profile
        }
        try easy.set(CURLOPT_URL, string: request.url)
        if profile.sendsBody {
            // CURLOPT_COPYPOSTFIELDS copies the bytes: nothing to keep alive. The size goes
            // first so that NUL bytes are copied too.
            let bytes = request.body ?? []
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: bytes.count)
            let copied: CURLcode = (bytes.isEmpty ? [0] : bytes).withUnsafeBufferPointer {
                baton_curl_easy_setopt_pointer(easy.raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
            guard copied == CURLE_OK else {
                throw HTTPError(code: .other, curlCode: Int(copied.rawValue), message: HTTPError.curlMessage(copied))
            }
        }
        try easy.set(CURLOPT_WRITEDATA, pointer: context)
        try easy.set(CURLOPT_HEADERDATA, pointer: context)
    }

    /// Every option of the profile, on a new or reset handle.
    private func setProfile(_ request: HTTPRequest, _ profile: CurlProfile) throws(HTTPError) {
        try easy.set(CURLOPT_PROTOCOLS_STR, string: Self.protocols)
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, string: Self.protocols)
        if request.maxRedirects > 0 {
            try easy.set(CURLOPT_FOLLOWLOCATION, 1)
            try easy.set(CURLOPT_MAXREDIRS, request.maxRedirects)
        }
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout))
        try easy.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        // Fails at once when a Content-Length announces too much; the write callback
        // catches the bodies that come without one, and decoded bodies.
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: limit)

        try easy.set(CURLOPT_SSL_VERIFYPEER, request.insecure ? 0 : 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, request.insecure ? 0 : 2)
        if let caFile = request.caFile {
            try easy.set(CURLOPT_CAINFO, string: caFile)
        }
        if let version = request.httpVersion {
            try easy.set(CURLOPT_HTTP_VERSION, Self.curlVersion(version))
        }
        if request.acceptEncoding {
            try easy.set(CURLOPT_ACCEPT_ENCODING, string: "")  // every encoding curl decodes
        }

        let list = CurlHeaderList()
        for line in profile.headerLines { try list.append(line) }
        easy.headerList = list
        try easy.set(CURLOPT_HTTPHEADER, list: list)

        switch (request.method, profile.sendsBody) {
        case ("GET", false): try easy.set(CURLOPT_HTTPGET, 1)
        case ("HEAD", false): try easy.set(CURLOPT_NOBODY, 1)
        case ("POST", _): break  // the body (CURLOPT_COPYPOSTFIELDS) makes it a POST
        case (let method, _): try easy.set(CURLOPT_CUSTOMREQUEST, string: method)
        }

        try easy.set(CURLOPT_WRITEFUNCTION, callback: curlWriteBody)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: curlWriteHeader)
    }

    /// Rejects what libcurl would send wrongly or interpret: a URL without an http(s)
    /// scheme (libcurl would guess one), line breaks or NUL bytes in the method or headers.
    private static func validate(_ request: HTTPRequest) throws(HTTPError) {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(isTokenByte) else {
            throw HTTPError(code: .invalidRequest, message: "invalid method \"\(request.method)\"")
        }
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw HTTPError(code: .invalidRequest, message: "invalid header name \"\(name)\"")
            }
            guard !value.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else {
                throw HTTPError(code: .invalidRequest, message: "invalid value for header \(name)")
            }
        }
        guard !request.url.utf8.contains(0) else {
            throw HTTPError(code: .invalidRequest, message: "invalid URL")
        }
        guard let url = curl_url() else {
            throw HTTPError(code: .other, message: "out of memory parsing the URL")
        }
        defer { curl_url_cleanup(url) }
        let parsed = request.url.withCString { curl_url_set(url, CURLUPART_URL, $0, 0) }
        switch parsed {
        case CURLUE_OK:
            return
        case CURLUE_UNSUPPORTED_SCHEME:
            throw HTTPError(code: .protocolRefused, message: "unsupported URL scheme")
        default:
            throw HTTPError(code: .invalidRequest, message: "invalid URL: " + String(cString: curl_url_strerror(parsed)))
        }
    }

    /// An RFC 9110 token character (method and header names).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// A positive number of milliseconds (libcurl reads 0 as "no timeout").
    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow else { return seconds > 0 ? Int.max : 1 }
        return max(1, Int(clamping: milliseconds.partialValue + attoseconds / 1_000_000_000_000_000))
    }

    private static func curlVersion(_ version: HTTPVersion) -> Int {
        switch version {
        case .http1_0: CURL_HTTP_VERSION_1_0
        case .http1_1: CURL_HTTP_VERSION_1_1
        case .http2: CURL_HTTP_VERSION_2_0
        case .http3: CURL_HTTP_VERSION_3
        }
    }
}

/// What a request sets on an easy handle besides its URL and body (``CurlEasy/profile``).
struct CurlProfile: Equatable {
    let method: String
    /// A body is sent (`CURLOPT_COPYPOSTFIELDS`): any request with one, and every POST.
    let sendsBody: Bool
    /// The header lines as libcurl gets them (`Name: value`, `Name;` for an empty value,
    /// `Expect:` unless the request has its own).
    let headerLines: [String]
    let connectTimeout: Duration
    let timeout: Duration
    let maxRedirects: Int
    let maxResponseBytes: Int
    let insecure: Bool
    let caFile: String?
    let httpVersion: HTTPVersion?
    let acceptEncoding: Bool

    init(_ request: HTTPRequest) {
        method = request.method
        sendsBody = request.body != nil || request.method == "POST"
        var lines = request.headers.map { name, value in value.isEmpty ? "\(name);" : "\(name): \(value)" }
        if !request.headers.contains(where: { $0.0.lowercased() == "expect" }) {
            lines.append("Expect:")  // no 100-continue round trip before large bodies
        }
        headerLines = lines
        connectTimeout = request.connectTimeout
        timeout = request.timeout
        maxRedirects = request.maxRedirects
        maxResponseBytes = request.maxResponseBytes
        insecure = request.insecure
        caFile = request.caFile
        httpVersion = request.httpVersion
        acceptEncoding = request.acceptEncoding
    }
}
