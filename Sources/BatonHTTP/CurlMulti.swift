internal import CCurl

/// Owns one libcurl multi handle (`CURLM`) and frees it exactly once, in `deinit`.
///
/// `@unchecked Sendable` invariant: ``wakeup()`` may be called from any thread (libcurl
/// documents `curl_multi_wakeup` as thread-safe); every other method is called only on the
/// loop thread of the one ``CurlLoop`` that owns this handle. Every thread that calls
/// ``wakeup()`` holds a reference, so the handle is not freed under it.
final class CurlMulti: @unchecked Sendable {
    private let raw: UnsafeMutableRawPointer

    /// - Parameter maxConnections: the size of the connection cache (`CURLMOPT_MAXCONNECTS`):
    ///   idle connections kept open for reuse.
    init(maxConnections: Int) {
        CurlGlobal.initialize()
        guard let raw = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.raw = raw
        _ = baton_curl_multi_setopt_long(raw, CURLMOPT_MAXCONNECTS, maxConnections)
        _ = baton_curl_multi_setopt_long(raw, CURLMOPT_MAX_HOST_CONNECTIONS, 0)  // unlimited
        _ = baton_curl_multi_setopt_long(raw, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0)  // unlimited
    }

    deinit {
        // The loop removed every easy handle before it let go of this one.
        curl_multi_cleanup(raw)
    }

    /// Interrupts a ``poll(timeoutMilliseconds:)`` in progress, or makes the next one return
    /// at once. Any thread.
    func wakeup() {
        _ = curl_multi_wakeup(raw)
    }

    /// Starts driving `easy`'s transfer. Loop thread only.
    func add(_ easy: CurlEasy) throws(HTTPError) {
        let code = curl_multi_add_handle(raw, easy.raw)
        guard code == CURLM_OK else {
            let message = String(cString: curl_multi_strerror(code))
            throw HTTPError(code: .other, message: "curl_multi_add_handle: \(message)")
        }
    }

    /// Stops driving `easy`'s transfer; after this, none of its callbacks runs. Loop thread only.
    func remove(_ easy: CurlEasy) {
        _ = curl_multi_remove_handle(raw, easy.raw)
    }

    /// Does all the I/O that is ready without blocking, then returns the transfers that
    /// finished, with their result. Loop thread only.
    func perform() -> [(easy: UnsafeMutableRawPointer, result: CURLcode)] {
        var running: Int32 = 0
        _ = curl_multi_perform(raw, &running)
        var done: [(easy: UnsafeMutableRawPointer, result: CURLcode)] = []
        var queued: Int32 = 0
        while let message = curl_multi_info_read(raw, &queued) {
            // Copy out: the message does not survive curl_multi_remove_handle.
            if message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle {
                done.append((easy, message.pointee.data.result))
            }
        }
        return done
    }

    /// Waits until a transfer has I/O to do, one of its timers fires, ``wakeup()`` is
    /// called, or `timeoutMilliseconds` pass. Loop thread only.
    ///
    /// - Returns: `false` when libcurl can no longer poll (`CURLM_UNRECOVERABLE_POLL`, …).
    func poll(timeoutMilliseconds: Int32) -> Bool {
        curl_multi_poll(raw, nil, 0, timeoutMilliseconds, nil) == CURLM_OK
    }
}
