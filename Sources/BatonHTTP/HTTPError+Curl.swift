internal import CCurl

extension HTTPError {
    /// The error for a transfer that ended with `code`.
    ///
    /// - Parameters:
    ///   - detail: libcurl's error buffer for the transfer, when it holds a message.
    ///   - exceededLimit: the limit in bytes, when the write or header callback refused
    ///     data over it (libcurl then reports a write error).
    init(curlCode code: CURLcode, detail: String?, exceededLimit: Int?) {
        var detail = detail ?? ""
        while detail.last == " " || detail.last == "\n" { detail.removeLast() }
        let message = detail.isEmpty ? Self.curlMessage(code) : detail
        if let exceededLimit {
            self.init(
                code: .tooLarge, curlCode: Int(code.rawValue),
                message: "the response exceeded the limit of \(exceededLimit) bytes"
            )
        } else {
            self.init(code: Self.classify(code), curlCode: Int(code.rawValue), message: message)
        }
    }

    /// curl's generic text for `code`.
    static func curlMessage(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    private static func classify(_ code: CURLcode) -> Code {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            .connectFailed
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_HTTP2, CURLE_HTTP2_STREAM:
            .connectionReset
        case CURLE_FILESIZE_EXCEEDED:
            .tooLarge
        case CURLE_UNSUPPORTED_PROTOCOL:
            .protocolRefused
        case CURLE_TOO_MANY_REDIRECTS:
            .tooManyRedirects
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            .tls
        case CURLE_ABORTED_BY_CALLBACK:
            .cancelled
        case CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_NOT_BUILT_IN,
             CURLE_UNKNOWN_OPTION:
            .invalidRequest
        default:
            .other
        }
    }
}
