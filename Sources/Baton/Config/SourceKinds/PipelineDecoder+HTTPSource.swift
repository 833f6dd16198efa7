import Yams

/// The `http:` block of a source → ``HTTPSource``.
extension PipelineDecoder {
    func decodeHTTPSource(_ node: Node, _ path: String, source: MappingFields) -> HTTPSource? {
        guard let http = fields(node, path, allowed: HTTPSourceKind.keys, what: "a mapping of HTTP settings (url, records, paginate…)") else {
            return nil
        }
        let before = errors.count
        let request = decodeHTTPRequest(http, variables: HTTPSourceConfig.variables)
        var config = HTTPSourceConfig(request: request ?? HTTPStageConfig(url: ""))
        if let recordsNode = http["records"],
           let program = nonEmptyText(recordsNode, http.path("records"), what: "a jq program", interpolate: false),
           compileJQ(program, recordsNode, http.path("records"), what: "the records program") {
            config.records = program
        }
        if let paginateNode = http["paginate"] {
            decodePaginate(paginateNode, http.path("paginate"), into: &config)
        }
        var retry = HTTPSource.defaultRetry
        if let retryNode = source["retry"] {
            var settings = StageSettings()
            decodeRetry(retryNode, source.path("retry"), into: &settings)
            retry = RetryPolicy(
                maxAttempts: settings.maxAttempts ?? retry.maxAttempts, backoff: settings.backoff ?? retry.backoff,
                initial: settings.initial ?? retry.initial, max: settings.maxDelay ?? retry.max, jitter: settings.jitter ?? retry.jitter
            )
        }
        if request != nil {
            let usesCursor = config.templatesUse("cursor")
            if source.contains("incremental") && !usesCursor {
                report(node, path, "the request of an incremental source does not use `$cursor`",
                       hint: "send the cursor so each run reads only what is new, e.g. query: { since: \"{{ $cursor }}\" }")
            } else if !source.contains("incremental") && usesCursor {
                report(node, path, "`$cursor` is the incremental cursor, but the source has no `incremental:`",
                       hint: "add e.g. incremental: { cursor: .updated_at, initial: \"2026-01-01T00:00:00Z\" }")
            }
        }
        guard errors.count == before, request != nil else { return nil }
        return HTTPSource(config: config, retry: retry)
    }

    /// `paginate: { next_url: … | link_header: true | offset: P | page: P | cursor: …, … }`.
    private func decodePaginate(_ node: Node, _ path: String, into config: inout HTTPSourceConfig) {
        let choices = PipelineKeys.paginators.joined(separator: ", ")
        guard let paginate = fields(node, path, allowed: PipelineKeys.paginate, what: "a mapping with one of \(choices)") else { return }
        let kinds = paginate.entries.filter { PipelineKeys.paginators.contains($0.key) }
        if kinds.isEmpty {
            report(node, path, "choose a paginator: one of \(choices)",
                   hint: "e.g. paginate: { next_url: .links.next }, { link_header: true }, { offset: offset, limit: 100 }, { page: page }, { cursor: .next_cursor }")
        }
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                report(extra.keyNode, paginate.path(extra.key),
                       "a source has one paginator, but this one has both `\(first.key)` (line \(line(of: first.keyNode))) and `\(extra.key)`",
                       hint: "keep only one of them")
            }
        }
        let kind = kinds.first?.key
        let owned: [(key: String, kinds: [String], text: String)] = [
            ("limit", ["offset", "page"], "the offset and page paginators"), ("limit_param", ["offset", "page"], "the offset and page paginators"),
            ("start", ["offset", "page"], "the offset and page paginators"), ("param", ["cursor"], "the cursor paginator"),
        ]
        for (key, owners, text) in owned where paginate.contains(key) && !owners.contains(kind ?? "") {
            report(paginate.keyNode(key), paginate.path(key), "`\(key)` applies only to \(text)",
                   hint: kind.map { "this paginator is \($0); remove `\(key)`" } ?? "remove it")
        }
        let limit = paginate["limit"].flatMap { integer($0, paginate.path("limit"), minimum: 1) }
        let limitParam = paginate["limit_param"].flatMap { nonEmptyText($0, paginate.path("limit_param"), what: "a query parameter name") } ?? "limit"
        let start = paginate["start"].flatMap { integer($0, paginate.path("start"), minimum: 0) }
        func program(_ key: String, what: String) -> String? {
            guard let node = paginate[key],
                  let text = nonEmptyText(node, paginate.path(key), what: "a jq expression", interpolate: false),
                  compileJQ(text, node, paginate.path(key), what: what) else { return nil }
            return text
        }
        switch kind {
        case "next_url":
            config.paginator = program("next_url", what: "the next URL expression").map { .nextURL(program: $0) }
        case "link_header":
            if let value = paginate["link_header"], let flag = boolean(value, paginate.path("link_header")) {
                if flag {
                    config.paginator = .linkHeader
                } else {
                    report(value, paginate.path("link_header"), "`link_header: false` chooses no paginator",
                           hint: "write link_header: true to follow `Link: <…>; rel=\"next\"`, or remove `paginate:` for a single request")
                }
            }
        case "offset":
            if let param = paginate["offset"].flatMap({ nonEmptyText($0, paginate.path("offset"), what: "the offset's query parameter name") }) {
                config.paginator = .offset(param: param, start: start ?? 0, limit: limit, limitParam: limitParam)
            }
        case "page":
            if let param = paginate["page"].flatMap({ nonEmptyText($0, paginate.path("page"), what: "the page number's query parameter name") }) {
                config.paginator = .page(param: param, start: start ?? 1, limit: limit, limitParam: limitParam)
            }
        case "cursor":
            let param = paginate["param"].flatMap { nonEmptyText($0, paginate.path("param"), what: "a query parameter name") } ?? "cursor"
            config.paginator = program("cursor", what: "the cursor expression").map { .cursor(program: $0, param: param) }
        default:
            break
        }
        config.hasMore = program("has_more", what: "the has_more expression")
        if let value = paginate["stop_on_empty"] { config.stopOnEmpty = boolean(value, paginate.path("stop_on_empty")) ?? true }
        if let value = paginate["max_pages"] { config.maxPages = integer(value, paginate.path("max_pages"), minimum: 1) }
    }
}
