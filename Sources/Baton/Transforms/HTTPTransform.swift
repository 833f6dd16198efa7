package import BatonHTTP
import BatonJQ
import Foundation
import Synchronization

/// An `http` stage: one request per item, built from templates evaluated on the item; the
/// response (parsed as JSON by default) replaces the item or is merged into it.
///
/// Failures are classified by status (`retry_on`, `fail_on`, `success_on`) and by transport
/// error (timeouts, connection errors: retried; size limit, refused scheme: permanent).
/// `Retry-After` sets the next attempt. Non-GET requests carry a stable `Idempotency-Key`.
package struct HTTPTransform: BatchTransform {
    package let config: HTTPStageConfig
    private let builder: HTTPRequestBuilder
    private let state: HTTPStageState

    package init(config: HTTPStageConfig) throws {
        self.config = config
        builder = try HTTPRequestBuilder(config: config)
        state = HTTPStageState(maxTransfers: 256, failureBudget: config.failureBudget)
    }

    package var fingerprint: String { "http:\(config.fingerprint)" }
    package var kindName: String { "http" }
    package var defaultConcurrency: Int { 16 }
    /// Large enough that while one worker commits, the others' queued requests keep every
    /// slot busy: at 64, a commit of the durable bench cluster outlasted the other workers'
    /// queue and slots went idle (100 000 items against nginx: 12 700/s at 64, 14 000-15 800
    /// at 128, 14 800-17 000 at 256, 17 400-19 700 at 512, same run). 256 keeps a crash's or a
    /// stop's redone requests moderate; leases are renewed while a batch runs.
    package var defaultBatchSize: Int { 256 }
    /// Not with `rate:`, which paces each request.
    package var processesBatches: Bool { config.rate == nil }

    package func process(_ item: StageInput) async throws -> StageOutput {
        let request = try buildRequest(item)
        let shown = "\(config.method) \(redactedURL(request.url))"
        if state.budget.isTripped {
            throw halted(item, shown)
        }
        if let rate = config.rate {
            try await HostRateLimiter.wait(host: HTTPOutcome.host(of: request.url), perSecond: rate)
        }
        let response: Result<HTTPResponse, HTTPError>
        do {
            response = .success(try await state.client.send(request))
        } catch {
            response = .failure(error)
        }
        let output = try finish(item, shown: shown, response) { state.budget.recordFailure() }
        state.budget.recordSuccess()
        return output
    }

    /// Sends every item's request, at most `concurrency` at once across the process (the
    /// stage's requests share one ``HTTPTransferGroup``), with one wakeup of the HTTP client
    /// and one resumption per batch instead of per item. The failure budget is counted as
    /// the answers come, on the client's thread: the request that uses it up closes the group,
    /// so the stage's requests not yet started are not sent. Outcomes in the items' order.
    package func process(batch items: [StageInput], concurrency: Int,
                         stopping: @escaping @Sendable () -> Bool) async -> [Result<StageOutput, any Error>] {
        var outcomes = [Result<StageOutput, any Error>?](repeating: nil, count: items.count)
        var requests: [HTTPRequest] = []
        var sent: [Int] = []
        for (index, item) in items.enumerated() {
            do {
                let request = try buildRequest(item)
                if state.budget.isTripped {
                    outcomes[index] = .failure(halted(item, "\(config.method) \(redactedURL(request.url))"))
                    continue
                }
                requests.append(request)
                sent.append(index)
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        let group = state.budget.group(limit: concurrency)
        // The callback runs on the libcurl thread: it holds the budget, not the client.
        let (config, budget) = (self.config, state.budget)
        let usedUp = Mutex<Int?>(nil)
        // A stop lets the requests running finish and starts no other (their items go back).
        let responses = await state.client.send(all: requests, group: group, shouldStart: { !stopping() }) { index, response in
            switch response {
            case .success(let answer) where HTTPOutcome.isSuccess(answer.status, config):
                budget.recordSuccess()
            case .failure(let error) where error.code == .cancelled || error.code == .notSent:
                break
            default:
                // The failure that uses up the budget also closes the group: nothing more is sent.
                if budget.recordFailure() { usedUp.withLock { $0 = index } }
            }
        }
        let usedUpAt = usedUp.withLock { $0 }
        for (position, response) in responses.enumerated() {
            let item = items[sent[position]]
            let shown = "\(config.method) \(redactedURL(requests[position].url))"
            outcomes[sent[position]] = Result { try finish(item, shown: shown, response) { usedUpAt == position } }
        }
        return outcomes.map { $0! }
    }

    /// The stage's work on `item` with `send` answering instead of the network (`baton test`
    /// plays recorded responses): no rate limit, no failure budget.
    package func process(_ item: StageInput, send: (HTTPRequest) throws -> HTTPResponse) throws -> StageOutput {
        let request = try buildRequest(item)
        let response: Result<HTTPResponse, HTTPError>
        do {
            response = .success(try send(request))
        } catch let error as HTTPError {
            response = .failure(error)
        }
        return try finish(item, shown: "\(config.method) \(redactedURL(request.url))", response) { false }
    }

    /// The item's output from the answer to its request, or the error it fails with.
    /// `usesUpBudget` is asked once per failed request: true when this failure used up the
    /// stage's failure budget (the stage then halts).
    private func finish(_ item: StageInput, shown: String, _ response: Result<HTTPResponse, HTTPError>,
                        usesUpBudget: () -> Bool) throws -> StageOutput {
        let label = "\(item.stage) \(item.key): \(shown)"
        let answer: HTTPResponse
        switch response {
        case .success(let success):
            answer = success
        case .failure(let error):
            // Not sent, or cut off, because the stage used up its budget meanwhile.
            if error.code == .cancelled, state.budget.isTripped { throw halted(item, shown) }
            if error.code == .notSent {
                var unsent = StageError.transient("\(label): not sent, the process was stopping", class: "stopping")
                unsent.notStarted = true
                throw unsent
            }
            guard let failure = HTTPOutcome.transportError(error, label: label) else { throw CancellationError() }
            if usesUpBudget() { throw halted(item, shown, last: failure.message) }
            throw failure
        }
        if !HTTPOutcome.isSuccess(answer.status, config) {
            let failure = HTTPOutcome.statusError(answer, config, label: label)
            if usesUpBudget() { throw halted(item, shown, last: failure.message) }
            throw failure
        }
        return StageOutput(outputs: [OutputItem(payload: try output(for: item, response: answer, shown: shown))])
    }

    // MARK: Request

    func buildRequest(_ item: StageInput) throws -> HTTPRequest {
        // `into:` merges the answer into the item: an item that is no object can never
        // succeed, so its request is not sent (a POST's effect for an item that then fails).
        if let into = config.into, item.payload.first(where: { !$0.isWhitespace }) != "{" {
            throw StageError.permanent("\(item.stage) \(item.key): into: \(into) needs an object, got \(item.payload.prefix(60)); nothing was sent",
                                       class: "http response")
        }
        return try builder.request(for: item.payload, label: "\(item.stage) \(item.key)") {
            HTTPTransform.idempotencyKey(runID: item.runID, stage: item.stage, key: item.key)
        }
    }

    /// Stable across retries and replays of the same item in the same run.
    package static func idempotencyKey(runID: Int64, stage: String, key: String) -> String {
        "baton-" + StableHash.hex("\(runID)\u{1}\(stage)\u{1}\(key)")
    }

    // MARK: Response

    private func output(for item: StageInput, response: HTTPResponse, shown: String) throws -> String {
        if config.response != .none, let bad = LineReader.firstInvalidUTF8(in: response.body) {
            throw StageError.permanent("\(item.stage) \(item.key): \(shown): the response is not valid UTF-8 (byte \(bad + 1) of \(response.body.count))",
                                       class: "http response")
        }
        if let spliced = spliced(item, response) { return spliced }
        var body: JSON
        switch config.response {
        case .json:
            if Self.isBlank(response.body) {
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
            let kept = JSON.object(config.keepHeaders.map { name in (name, response.combinedHeader(name).map(JSON.string) ?? .null) })
            result = try result.setting("headers", to: kept, what: "keep_headers", item: item)
        }
        return result.serialized
    }

    /// The output of a JSON answer without parsing the item or the answer into values, when
    /// both are strict JSON: the answer's text (or the item's with the answer set `into:`),
    /// `status_field` and `keep_headers` set as members, compacted, every literal as written.
    /// Nil otherwise, and for any output that is an error (the general path says which).
    /// Besides saving two parses and a serialisation per item, it keeps integers past 2⁵³
    /// exact: the general path holds numbers as doubles.
    private func spliced(_ item: StageInput, _ response: HTTPResponse) -> String? {
        guard config.response == .json else { return nil }
        var result: String
        if Self.isBlank(response.body) {
            result = "null"
        } else {
            let text = String(decoding: response.body, as: UTF8.self)
            guard JSONScan.isStrict(text) else { return nil }
            result = JSONScan.compacted(strict: text)
        }
        if let into = config.into {
            guard let set = JSONScan.settingMember(into, to: result, in: item.payload) else { return nil }
            result = set
        }
        if let field = config.statusField {
            guard let set = JSONScan.settingMember(field, to: String(response.status), in: result) else { return nil }
            result = set
        }
        if !config.keepHeaders.isEmpty {
            let kept = JSON.object(config.keepHeaders.map { name in (name, response.combinedHeader(name).map(JSON.string) ?? .null) })
            guard let set = JSONScan.settingMember("headers", to: kept.serialized, in: result) else { return nil }
            result = set
        }
        return result
    }

    /// An answer with no JSON in it (empty, or only whitespace) stands for null.
    private static func isBlank(_ body: [UInt8]) -> Bool {
        body.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
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
    func redactedURL(_ url: String) -> String { HTTPOutcome.redactedURL(url, config) }
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
