internal import CCurl

/// libcurl's process-wide state: `curl_global_init` runs exactly once per process, before
/// the first handle is made, and is never undone (other code in the process may use curl).
enum CurlGlobal {
    /// A `static let` is initialised lazily, once, under a lock.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Initialises libcurl if it was not yet. Stops the process if libcurl cannot start.
    static func initialize() {
        precondition(initialized, "curl_global_init failed")
    }
}
