import Foundation

/// The `http:` block of a stage, as declared (templates not yet evaluated).
package struct HTTPStageConfig: Sendable {
    /// What to do with the response body.
    package enum ResponseFormat: String, Sendable, Hashable, CaseIterable {
        /// Parse as JSON (a non-JSON body fails the item permanently).
        case json
        /// Keep as a JSON string.
        case text
        /// Ignore the body.
        case none
    }

    /// The request body.
    package enum Body: Sendable, Hashable {
        /// A jq program run on the item; its single output is sent as JSON.
        case json(program: String)
        /// A text template (`{{ jq }}` parts evaluated on the item), sent as is.
        case raw(template: String)
    }

    /// A set of HTTP statuses: `404`, `4xx`, `500-599`.
    package struct StatusSet: Sendable, Hashable {
        package var ranges: [ClosedRange<Int>]
        package init(_ ranges: [ClosedRange<Int>]) { self.ranges = ranges }
        package func contains(_ status: Int) -> Bool { ranges.contains { $0.contains(status) } }
        /// The width of the narrowest range holding `status` (1 for `503`, 100 for `5xx`).
        package func specificity(of status: Int) -> Int? {
            ranges.filter { $0.contains(status) }.map(\.count).min()
        }
        /// Statuses both sets name equally specifically (`503` and `503`, `5xx` and `500-599`),
        /// as ranges: for those, which set wins would be a guess.
        package func ambiguity(with other: StatusSet) -> [ClosedRange<Int>] {
            var out: [ClosedRange<Int>] = []
            for status in 100...599 {
                guard let mine = specificity(of: status), mine == other.specificity(of: status) else { continue }
                if let last = out.last, last.upperBound == status - 1 {
                    out[out.count - 1] = last.lowerBound...status
                } else {
                    out.append(status...status)
                }
            }
            return out
        }
        /// Parses `404`, `4xx`, `500-599`; nil if malformed or outside 100…599.
        package static func parse(_ text: String) -> ClosedRange<Int>? {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            if t.count == 3, t.hasSuffix("xx"), let first = Int(t.prefix(1)), (1...5).contains(first) {
                return (first * 100)...(first * 100 + 99)
            }
            if let dash = t.firstIndex(of: "-"), let low = Int(t[..<dash]), let high = Int(t[t.index(after: dash)...]),
               (100...599).contains(low), (100...599).contains(high), low <= high {
                return low...high
            }
            if let single = Int(t), (100...599).contains(single) { return single...single }
            return nil
        }
    }

    package var method = "GET"
    /// URL template: `{{ jq }}` parts are evaluated on the item and URL-encoded.
    package var url: String
    /// Query parameters (templates), appended URL-encoded.
    package var query: [(name: String, value: String)] = []
    /// Header templates; `${VAR}` secrets already interpolated. Values never appear in output.
    package var headers: [(name: String, value: String)] = []
    package var body: Body?
    package var response: ResponseFormat = .json
    /// Merge the response into the item under this field; nil replaces the item with it.
    package var into: String?
    /// Also keep the status code under this field of the output item.
    package var statusField: String?
    /// Response headers to keep (lower-cased names), under `headers` of the output object.
    package var keepHeaders: [String] = []
    package var timeout: Duration = .seconds(30)
    package var connectTimeout: Duration = .seconds(10)
    /// Statuses retried with backoff (default 408, 429, 5xx).
    package var retryOn = StatusSet([408...408, 429...429, 500...599])
    /// Statuses that fail the item at once, even a 2xx or one the default `retry_on` would
    /// retry (e.g. `[503]` for an API whose 503 means "refused", `[204]` when an empty answer
    /// is an error). Statuses in none of the sets fail at once too; this set is for taking
    /// statuses out of success and the default retries.
    package var failOn = StatusSet([])
    /// Statuses that count as success besides 2xx (e.g. 409 for replayed POSTs).
    package var successOn = StatusSet([])

    /// What a response status means for the item.
    package enum StatusOutcome: Sendable, Hashable {
        case success, retry, fail
    }

    /// The most specific mention wins: of the sets naming `status`, the one whose narrowest
    /// range holding it is narrowest (`fail_on: [503]` beats `5xx` in `retry_on`,
    /// `success_on: [409]` beats `fail_on: [4xx]`); on a tie `success_on`, then `fail_on`,
    /// then `retry_on` (ties between sets the file gives are a validation error, so this only
    /// settles ties with the default `retry_on`). A status no set names: 2xx succeed, others fail.
    package func outcome(of status: Int) -> StatusOutcome {
        var best: (width: Int, outcome: StatusOutcome)?
        for (set, outcome) in [(successOn, StatusOutcome.success), (failOn, .fail), (retryOn, .retry)] {
            if let width = set.specificity(of: status), width < best?.width ?? Int.max { best = (width, outcome) }
        }
        return best?.outcome ?? ((200...299).contains(status) ? .success : .fail)
    }
    /// Requests per second per host, shared by all workers of the process.
    package var rate: Double?
    /// Stop the stage after this many consecutive failed requests (the service is down).
    package var failureBudget: Int?
    /// Query parameters whose values are redacted in messages.
    package var redact: [String] = []
    package var insecure = false
    package var caFile: String?
    package var maxRedirects = 5
    package var maxResponseBytes = 10 << 20
    /// "1.1" or "2"; nil lets curl choose.
    package var httpVersion: String?

    package init(url: String) { self.url = url }

    /// Every setting as text, for stage hashes and equality (header values excluded: they may
    /// hold secrets, and a changed token is not a changed stage).
    package var fingerprint: String {
        var parts = [method, url, response.rawValue, into ?? "", statusField ?? "", "\(timeout)", "\(connectTimeout)"]
        parts += query.map { "q:\($0.name)=\($0.value)" }
        parts += headers.map { "h:\($0.name)" }
        switch body {
        case .json(let program): parts.append("bj:\(program)")
        case .raw(let template): parts.append("br:\(template)")
        case nil: break
        }
        parts += ["\(retryOn.ranges)", "\(failOn.ranges)", "\(successOn.ranges)", "\(rate ?? 0)", "\(failureBudget ?? 0)"]
        parts += keepHeaders + redact + ["\(insecure)", caFile ?? "", "\(maxRedirects)", "\(maxResponseBytes)", httpVersion ?? ""]
        return parts.joined(separator: "\u{1}")
    }
}
