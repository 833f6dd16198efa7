import BatonHTTP
import Foundation

/// How an `http` stage or source judges what came back: success, a failure to retry (with
/// the delay `Retry-After` asks for) or one that is final; and how URLs appear in messages.
enum HTTPOutcome {
    /// Success as `success_on`, `retry_on` and `fail_on` decide (``HTTPStageConfig/outcome(of:)``).
    static func isSuccess(_ status: Int, _ config: HTTPStageConfig) -> Bool {
        config.outcome(of: status) == .success
    }

    /// The error for a response that is not a success: transient for `retry_on` statuses.
    /// `label` starts the message (`stage key: GET url`).
    static func statusError(_ response: HTTPResponse, _ config: HTTPStageConfig, label: String) -> StageError {
        let status = response.status
        var message = "\(label): http \(status)"
        let snippet = String(decoding: response.body.prefix(200), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        if !snippet.isEmpty { message += " (\(snippet))" }
        if config.outcome(of: status) == .retry {
            return .transient(message, class: "http \(status)", retryAfter: retryAfter(response))
        }
        return .permanent(message, class: "http \(status)")
    }

    /// The error for a request that got no response: timeouts and connection errors are
    /// transient; `nil` when the request was cancelled.
    static func transportError(_ error: HTTPError, label: String) -> StageError? {
        if error.code == .cancelled { return nil }
        return StageError(isPermanent: !error.isTransient, errorClass: "http \(error.code)",
                          message: "\(label): \(error.message.isEmpty ? "\(error.code)" : error.message)")
    }

    /// `Retry-After` in seconds or as an HTTP date.
    static func retryAfter(_ response: HTTPResponse) -> Duration? {
        guard let value = response.header("retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        // At most a day: a remote value such as `inf` or `1e400` must not overflow the delay.
        if let seconds = Double(value), seconds >= 0 { return .seconds(min(seconds, 86_400)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(min(max(0, date.timeIntervalSinceNow), 86_400))
    }

    /// The URL with the values of `redact:` query parameters replaced by `***`.
    static func redactedURL(_ url: String, _ config: HTTPStageConfig) -> String {
        guard !config.redact.isEmpty, let question = url.firstIndex(of: "?") else { return url }
        let names = Set(config.redact.map { $0.lowercased() })
        let query = url[url.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let decoded = name.removingPercentEncoding ?? name
            return names.contains(decoded.lowercased()) ? "\(name)=***" : String(pair)
        }
        return String(url[...question]) + query.joined(separator: "&")
    }

    static func host(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }
}
