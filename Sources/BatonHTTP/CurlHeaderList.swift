internal import CCurl

/// Owns a `curl_slist` of request header lines and frees it exactly once, in `deinit`.
/// libcurl does not copy the list: its owner keeps it alive until the transfer is removed
/// from the multi handle. Not `Sendable`: used only on the loop thread.
final class CurlHeaderList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init() {}

    deinit {
        curl_slist_free_all(raw)
    }

    /// Appends one `Name: value` line (libcurl copies the string).
    func append(_ line: String) throws(HTTPError) {
        // On failure curl_slist_append returns NULL and leaves the list as it was.
        guard let list = line.withCString({ curl_slist_append(raw, $0) }) else {
            throw HTTPError(code: .other, message: "out of memory building the header list")
        }
        raw = list
    }
}
