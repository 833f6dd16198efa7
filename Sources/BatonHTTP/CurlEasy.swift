internal import CCurl

/// Owns one libcurl easy handle (`CURL`) and its error buffer, and frees both exactly once,
/// in `deinit`. Not `Sendable`: used only on the loop thread of a ``CurlLoop``.
final class CurlEasy {
    let raw: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: libcurl writes a message for a failed transfer here.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The options of the requests this handle is set up for (all but the URL, the body and
    /// the transfer's callbacks' context), nil after a reset: a request with the same ones
    /// sets only those (``CurlTransfer/configure(_:)``).
    var profile: CurlProfile?
    /// The header lines the handle sends, alive as long as it may send them (libcurl does not
    /// copy the list).
    var headerList: CurlHeaderList?

    /// Returns `nil` when libcurl cannot allocate a handle. The handle is as ``reset()``
    /// leaves it.
    init?() {
        CurlGlobal.initialize()
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        guard (try? setDefaults()) != nil else { return nil }
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// Resets every option to libcurl's default, then sets the ones every transfer needs
    /// (`CURLOPT_NOSIGNAL`, the error buffer). Open connections and caches stay.
    func reset() throws(HTTPError) {
        curl_easy_reset(raw)
        profile = nil
        headerList = nil
        try setDefaults()
    }

    /// Forgets the last transfer's error message (a reused handle's next transfer).
    func clearError() { errorBuffer[0] = 0 }

    private func setDefaults() throws(HTTPError) {
        errorBuffer[0] = 0
        try set(CURLOPT_NOSIGNAL, 1)
        try check(baton_curl_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer))
    }

    /// libcurl's message for the last failed transfer, or `nil`.
    var errorMessage: String? {
        errorBuffer[0] == 0 ? nil : String(cString: errorBuffer)
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try check(baton_curl_easy_setopt_long(raw, option, value))
    }

    func set(_ option: CURLoption, offset value: Int) throws(HTTPError) {
        try check(baton_curl_easy_setopt_off(raw, option, curl_off_t(value)))
    }

    /// Sets a string option; libcurl copies the string. `nil` restores the default.
    func set(_ option: CURLoption, string value: String?) throws(HTTPError) {
        guard let value else {
            return try check(baton_curl_easy_setopt_string(raw, option, nil))
        }
        try check(value.withCString { baton_curl_easy_setopt_string(raw, option, $0) })
    }

    /// Sets a pointer option. The caller keeps the pointee alive while the handle uses it.
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(HTTPError) {
        try check(baton_curl_easy_setopt_pointer(raw, option, value))
    }

    func set(_ option: CURLoption, list: CurlHeaderList) throws(HTTPError) {
        try check(baton_curl_easy_setopt_slist(raw, option, list.raw))
    }

    /// Sets `CURLOPT_WRITEFUNCTION` or `CURLOPT_HEADERFUNCTION`.
    func set(
        _ option: CURLoption,
        callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int
    ) throws(HTTPError) {
        try check(baton_curl_easy_setopt_write_callback(raw, option, callback))
    }

    func info(_ info: CURLINFO) -> Int {
        var value = 0
        return baton_curl_easy_getinfo_long(raw, info, &value) == CURLE_OK ? value : 0
    }

    func info(offset info: CURLINFO) -> Int {
        var value: curl_off_t = 0
        return baton_curl_easy_getinfo_off(raw, info, &value) == CURLE_OK ? Int(value) : 0
    }

    func info(string info: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard baton_curl_easy_getinfo_string(raw, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }

    private func check(_ code: CURLcode) throws(HTTPError) {
        guard code == CURLE_OK else {
            // A refused option means this request cannot be made (e.g. HTTP/3 not built in).
            throw HTTPError(
                code: .invalidRequest, curlCode: Int(code.rawValue), message: HTTPError.curlMessage(code)
            )
        }
    }
}
