package import BatonHTTP
import BatonJQ
import Foundation

/// An `http` stage: one request per item, built from templates evaluated on the item; the
/// response (parsed as JSON by default) replaces the item or is merged into it.
///
/// Failures are classified by status (`retry_on`, `fail_on`, `success_on`) and by transport
/// error (timeouts, connection errors: retried; size limit, refused scheme: permanent).
/// `Retry-After` sets the next attempt. Non-GET requests carry a stable `Idempotency-Key`.
package struct HTTPTransform: StageTransform {
    package let config: HTTPStageConfig
    private let url: Template
    private let query: [(name: String, value: Template)]
    private let headers: [(name: String, value: Template)]
    private let jsonBody: JQProgramPool?
    private let rawBody: Template?
    private let state: HTTPStageState

    package init(config: HTTPStageConfig) throws {
        self.config = config
        url = try Template(config.url)
        query = try config.query.map { ($0.name, try Template($0.value)) }
        headers = try config.headers.map { ($0.name, try Template($0.value)) }
        switch config.body {
        case .json(let program):
            jsonBody = try JQProgramPool(program)
            rawBody = nil
        case .raw(let template):
            jsonBody = nil
            rawBody = try Template(template)
        case nil:
            jsonBody = nil
            rawBody = nil
        }
        state = HTTPStageState(maxTransfers: 256, failureBudget: config.failureBudget)
    }

    package var fingerprint: String { "http:\(config.fingerprint)" }
    package var kindName: String { "http" }
    package var defaultConcurrency: Int { 16 }
    package var defaultBatchSize: Int { 64 }

    private var sendsBody: Bool { !["GET", "HEAD"].contains(config.method) }

    package func process(_ item: StageInput) async throws -> StageOutput {
        let request = try buildRequest(item)
        let shown = "\(config.method) \(redactedURL(request.url))"
        if state.isTripped {
            throw halted(item, shown)
        }
        if let rate = config.rate {
            try await HostRateLimiter.wait(host: host(of: request.url), perSecond: rate)
        }
        let response: HTTPResponse
        do {
            response = try await state.client.send(request)
        } catch {
            if error.code == .cancelled { throw CancellationError() }
            let failure = transportFailure(error, item: item, shown: shown)
            if state.recordFailure() { throw halted(item, shown, last: failure.message) }
            throw failure
        }
        guard isSuccess(response) else {
            let failure = statusError(response, item: item, shown: shown)
            if state.recordFailure() { throw halted(item, shown, last: failure.message) }
            throw failure
        }
        state.recordSuccess()
        return StageOutput(outputs: [OutputItem(payload: try output(for: item, response: response, shown: shown))])
    }

    /// The stage's work on `item` with `send` answering instead of the network (`baton test`
    /// plays recorded responses): no rate limit, no failure budget.
    package func process(_ item: StageInput, send: (HTTPRequest) throws -> HTTPResponse) throws -> StageOutput {
        let request = try buildRequest(item)
        let shown = "\(config.method) \(redactedURL(request.url))"
        let response: HTTPResponse
        do {
            response = try send(request)
        } catch let error as HTTPError {
            throw transportFailure(error, item: item, shown: shown)
        }
        guard isSuccess(response) else { throw statusError(response, item: item, shown: shown) }
        return StageOutput(outputs: [OutputItem(payload: try output(for: item, response: response, shown: shown))])
    }

    private func transportFailure(_ error: HTTPError, item: StageInput, shown: String) -> StageError {
        StageError(
            isPermanent: !error.isTransient, errorClass: "http \(error.code)",
            message: "\(item.stage) \(item.key): \(shown): \(error.message.isEmpty ? "\(error.code)" : error.message)"
        )
    }

    /// 2xx, or a status in `success_on`.
    private func isSuccess(_ response: HTTPResponse) -> Bool {
        (200...299).contains(response.status) || config.successOn.contains(response.status)
    }

    // MARK: Request

    func buildRequest(_ item: StageInput) throws -> HTTPRequest {
        var target = try url.render(item.payload, encoding: .urlComponent)
        if !query.isEmpty {
            let pairs = try query.map { name, value in
                // A query value is data as a whole: its literal text is encoded too.
                Template.percentEncode(name) + "=" + Template.percentEncode(try value.render(item.payload, encoding: .none))
            }
            target += (target.contains("?") ? "&" : "?") + pairs.joined(separator: "&")
        }
        var request = HTTPRequest(method: config.method, url: target)
        request.headers = try headers.map { ($0.name, try $0.value.render(item.payload, encoding: .none)) }
        func has(_ name: String) -> Bool { request.headers.contains { $0.0.lowercased() == name } }
        if !has("user-agent") { request.headers.append(("User-Agent", "baton/0.1")) }
        if let jsonBody {
            let outputs = try jsonBody.run(json: item.payload)
            guard outputs.count == 1 else {
                throw StageError.permanent("\(item.stage) \(item.key): the body program gave \(outputs.count) values, expected 1", class: "template")
            }
            request.body = Array(outputs[0].utf8)
            if !has("content-type") { request.headers.append(("Content-Type", "application/json")) }
        } else if let rawBody {
            request.body = Array(try rawBody.render(item.payload, encoding: .none).utf8)
        }
        if sendsBody && !has("idempotency-key") {
            request.headers.append(("Idempotency-Key", HTTPTransform.idempotencyKey(runID: item.runID, stage: item.stage, key: item.key)))
        }
        request.timeout = config.timeout
        request.connectTimeout = config.connectTimeout
        request.maxRedirects = config.maxRedirects
        request.maxResponseBytes = config.maxResponseBytes
        request.insecure = config.insecure
        request.caFile = config.caFile
        switch config.httpVersion {
        case "1.1": request.httpVersion = .http1_1
        case "2": request.httpVersion = .http2
        default: break
        }
        return request
    }

    /// Stable across retries and replays of the same item in the same run.
    package static func idempotencyKey(runID: Int64, stage: String, key: String) -> String {
        "baton-" + StableHash.hex("\(runID)\u{1}\(stage)\u{1}\(key)")
    }

    // MARK: Response

    private func statusError(_ response: HTTPResponse, item: StageInput, shown: String) -> StageError {
        let status = response.status
        var message = "\(item.stage) \(item.key): \(shown): http \(status)"
        let snippet = String(decoding: response.body.prefix(200), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        if !snippet.isEmpty { message += " (\(snippet))" }
        if config.retryOn.contains(status) {
            return .transient(message, class: "http \(status)", retryAfter: retryAfter(response))
        }
        return .permanent(message, class: "http \(status)")
    }

    /// `Retry-After` in seconds or as an HTTP date.
    private func retryAfter(_ response: HTTPResponse) -> Duration? {
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

    private func output(for item: StageInput, response: HTTPResponse, shown: String) throws -> String {
        var body: JSON
        switch config.response {
        case .json:
            if response.body.isEmpty {
                body = .null
            } else {
                do {
                    body = try JSON(parsing: String(decoding: response.body, as: UTF8.self))
                } catch {
                    throw StageError.permanent("\(item.stage) \(item.key): \(shown): the response is not JSON (\(error))", class: "http response")
                }
            }
        case .text: body = .string(String(decoding: response.body, as: UTF8.self))
        case .none: body = .null
        }
        var result: JSON
        if let into = config.into {
            result = try item.json().setting(into, to: body, what: "into: \(into)", item: item)
        } else if config.response == .none {
            result = try item.json()
        } else {
            result = body
        }
        if let field = config.statusField {
            result = try result.setting(field, to: .number(Double(response.status)), what: "status_field: \(field)", item: item)
        }
        if !config.keepHeaders.isEmpty {
            let kept = JSON.object(config.keepHeaders.map { name in (name, response.header(name).map(JSON.string) ?? .null) })
            result = try result.setting("headers", to: kept, what: "keep_headers", item: item)
        }
        return result.serialized
    }

    // MARK: Messages

    private func halted(_ item: StageInput, _ shown: String, last: String? = nil) -> StageError {
        var error = StageError.permanent(
            "stage \(item.stage) stopped after \(config.failureBudget ?? 0) consecutive failed requests"
                + (last.map { " (last: \($0))" } ?? "") + "; the service looks down: fix it, then `baton resume \(item.runName)`",
            class: "failure budget"
        )
        error.haltsRun = true
        return error
    }

    /// The URL with the values of `redact:` query parameters replaced by `***`.
    func redactedURL(_ url: String) -> String {
        guard !config.redact.isEmpty, let question = url.firstIndex(of: "?") else { return url }
        let names = Set(config.redact.map { $0.lowercased() })
        let query = url[url.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let decoded = name.removingPercentEncoding ?? name
            return names.contains(decoded.lowercased()) ? "\(name)=***" : String(pair)
        }
        return String(url[...question]) + query.joined(separator: "&")
    }

    private func host(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }
}

extension JSON {
    /// This object with `field` set; fails the item if it is not an object.
    func setting(_ field: String, to value: JSON, what: String, item: StageInput) throws -> JSON {
        guard case .object(var members) = self else {
            throw StageError.permanent("\(item.stage) \(item.key): \(what) needs an object, got \(serialized.prefix(60))", class: "http response")
        }
        if let index = members.firstIndex(where: { $0.0 == field }) {
            members[index].1 = value
        } else {
            members.append((field, value))
        }
        return .object(members)
    }
}
