import BatonHTTP
import BatonJQ
import Foundation

/// Fetches the pages of an ``HTTPSource`` one at a time and returns their records. After a
/// page's last record it reports ``endsChunk``, so the seeder commits the page's records
/// and the state of the next request in one transaction: a resumed run starts at the first
/// page not committed. A page larger than a chunk is resumed by fetching it again and
/// skipping the records already seeded.
///
/// Requests run on the seeder's thread through ``BlockingHTTPCall``; retries follow the
/// source's policy and `Retry-After`, and give up when the run stops.
final class HTTPSourceReader: SourceReader {
    private let config: HTTPSourceConfig
    private let retry: RetryPolicy
    private let context: SourceReaderContext
    private let builder: HTTPRequestBuilder
    private let records: JQProgramPool
    private let nextLink: JQProgramPool?
    private let hasMore: JQProgramPool?
    private let client = HTTPClient(maxConcurrentTransfers: 2)

    /// The state of the page in `buffer`, or of the next page to fetch when it is empty.
    private var current = HTTPPageState()
    /// The buffered page's records and how far they were returned.
    private var buffer: [String] = []
    private var returned = 0
    /// The state after the buffered page.
    private var after: HTTPPageState?
    private var recordCount: Int64 = 0
    /// Every request sent by this reader (loops longer than the stored recent list).
    private var sent: Set<String> = []
    private(set) var endsChunk = false

    init(config: HTTPSourceConfig, retry: RetryPolicy, context: SourceReaderContext) throws {
        self.config = config
        self.retry = retry
        self.context = context
        builder = try HTTPRequestBuilder(config: config.request, variables: HTTPSourceConfig.variables)
        records = try JQProgramPool(config.records)
        switch config.paginator {
        case .nextURL(let program), .cursor(let program, _): nextLink = try JQProgramPool(program)
        default: nextLink = nil
        }
        hasMore = try config.hasMore.map { try JQProgramPool($0) }
    }

    var position: SourcePosition {
        var state = current
        if returned < buffer.count { state.skip = returned }
        return SourcePosition(offset: Int64(state.pages), line: recordCount, state: HTTPSourceReader.encode(state))
    }

    func resume(at position: SourcePosition) throws {
        current = position.state.flatMap(HTTPSourceReader.decode) ?? HTTPPageState()
        buffer = []
        returned = 0
        after = nil
        recordCount = position.line
        endsChunk = false
    }

    func next() throws -> SourceRecord? {
        endsChunk = false
        while true {
            if returned < buffer.count {
                let record = buffer[returned]
                returned += 1
                recordCount += 1
                if returned == buffer.count {
                    // The page is used up: from now on the position is the next page's.
                    current = after ?? current
                    buffer = []
                    returned = 0
                    after = nil
                    endsChunk = true
                }
                return SourceRecord(line: recordCount, payload: record)
            }
            if current.done { return nil }
            if let maxPages = config.maxPages, current.pages >= maxPages {
                context.logger.notice("source: stopped after max_pages (\(maxPages)) pages")
                current.done = true
                return nil
            }
            let page = try fetch(current)
            buffer = page.records
            returned = min(current.skip, buffer.count)
            after = page.next
            if returned == buffer.count {
                // Nothing (left) in this page: go on to the next without a chunk boundary.
                current = page.next
                buffer = []
                returned = 0
                after = nil
            }
        }
    }

    /// Fetches the page of `state` and works out the state after it.
    private func fetch(_ state: HTTPPageState) throws -> HTTPPagination.Page {
        let input = HTTPPagination.variables(state, cursor: context.cursor, paginator: config.paginator)
        let request = try builder.request(
            for: input, label: "source", idempotencyKey: {
                "baton-" + StableHash.hex("\(context.runID)\u{1}source\u{1}\(state.pages)")
            },
            extraQuery: HTTPPagination.parameters(config.paginator, state, config: config), target: state.url
        )
        let shown = "\(request.method) \(HTTPOutcome.redactedURL(request.url, config.request))"
        let fingerprint = HTTPPagination.fingerprint(request)
        if sent.contains(fingerprint) || state.recent.contains(fingerprint) {
            throw BatonError(.data, """
                source: the paginator would loop: page \(state.pages + 1) is \(shown), a request already sent for an earlier page \
                (the next URL or token repeats); stopping
                """)
        }
        sent.insert(fingerprint)
        let response = try send(request, shown: shown, page: state.pages + 1)
        let body = String(decoding: response.body, as: UTF8.self)
        func run(_ program: JQProgramPool, what: String) throws -> [JSON] {
            do {
                return try program.values(json: body.isEmpty ? "null" : body)
            } catch let error as JQError {
                let problem = error.kind == .runtime ? "the `\(what)` program failed: \(error.message)" : "the response is not JSON (\(error.message))"
                throw BatonError(.data, "source: page \(state.pages + 1) (\(shown)): \(problem)")
            }
        }
        let found = HTTPPagination.records(try run(records, what: "records"))
        var link: String?
        switch config.paginator {
        case .linkHeader:
            link = HTTPPagination.nextLink(inLinkHeaders: response.headers.filter { $0.0 == "link" }.map(\.1))
        case .nextURL, .cursor:
            if let nextLink {
                let outputs = try run(nextLink, what: "next page")
                link = outputs.first.flatMap { $0.plainText }
            }
        default:
            break
        }
        var more: Bool?
        if let hasMore {
            let outputs = try run(hasMore, what: "has_more")
            more = outputs.first.map { value in
                switch value {
                case .bool(let flag): return flag
                case .null: return false
                default: return true
                }
            } ?? false
        }
        let next = try HTTPPagination.next(after: state, records: found, config: config, requestURL: request.url,
                                           sent: fingerprint, nextLink: link, hasMore: more, shown: shown)
        context.logger.debug("source page fetched", metadata: [
            "http.url": "\(shown)", "http.status": "\(response.status)", "page": "\(state.pages + 1)", "records": "\(found.count)",
        ])
        return HTTPPagination.Page(records: found, next: next)
    }

    /// Sends a request, retrying transient failures with the source's policy (`Retry-After`
    /// sets the delay when it asks for more).
    private func send(_ request: HTTPRequest, shown: String, page: Int) throws -> HTTPResponse {
        var attempt = 1
        while true {
            if context.shouldStop() { throw CancellationError() }
            let label = "source: page \(page): \(shown)"
            let failure: StageError
            switch BlockingHTTPCall.send(request, client: client, rate: config.request.rate, shouldStop: context.shouldStop) {
            case .success(let response):
                if HTTPOutcome.isSuccess(response.status, config.request) { return response }
                failure = HTTPOutcome.statusError(response, config.request, label: label)
            case .failure(let error):
                guard let transport = HTTPOutcome.transportError(error, label: label) else { throw CancellationError() }
                failure = transport
            }
            if failure.isPermanent || attempt >= retry.maxAttempts {
                let tries = failure.isPermanent ? "" : " (after \(attempt) attempt\(attempt == 1 ? "" : "s"))"
                throw BatonError(.unavailable, """
                    \(failure.message)\(tries); the pages before it are seeded: fix the cause, then resume the run
                    """)
            }
            var delay = retry.delay(afterAttempt: attempt, random: Double.random(in: 0..<1))
            if let requested = failure.retryAfter { delay = retry.honouring(requested, over: delay) }
            context.logger.warning("source page failed; retrying", metadata: [
                "error": "\(failure.message)", "attempt": "\(attempt)", "delay": "\(delay)",
            ])
            guard BlockingHTTPCall.sleep(delay, shouldStop: context.shouldStop) else { throw CancellationError() }
            attempt += 1
        }
    }

    private static func encode(_ state: HTTPPageState) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(state)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode(_ text: String) -> HTTPPageState? {
        try? JSONDecoder().decode(HTTPPageState.self, from: Data(text.utf8))
    }
}
