/// The `http:` block of a source: the request (the same settings as an `http` stage), how
/// to find the records in a page, and how to get from one page to the next.
package struct HTTPSourceConfig: Sendable {
    /// How the next page is asked for.
    package enum Paginator: Sendable, Hashable {
        /// A jq program on the page's body gives the next page's URL (absolute or relative);
        /// none (null, empty, missing) ends the pages.
        case nextURL(program: String)
        /// The `Link: <…>; rel="next"` response header; none ends the pages.
        case linkHeader
        /// `param=OFFSET` (from `start`, advanced by the records received) and, with a
        /// `limit`, `limitParam=LIMIT`; a page with fewer records than `limit` is the last.
        case offset(param: String, start: Int, limit: Int?, limitParam: String)
        /// `param=N` (from `start`, plus one per page) and, with a `limit`, `limitParam=LIMIT`;
        /// a page with fewer records than `limit` is the last.
        case page(param: String, start: Int, limit: Int?, limitParam: String)
        /// A jq program on the body gives an opaque token sent as `param=TOKEN` for the next
        /// page; none ends the pages.
        case cursor(program: String, param: String)
    }

    package var request: HTTPStageConfig
    /// jq program giving the records of a page: each output is a record, and a single array
    /// output is unpacked (`.data` and `.data[]` give the same records).
    package var records: String = "."
    /// nil: a single request.
    package var paginator: Paginator?
    /// jq program on the body: `false` or `null` ends the pages after this one.
    package var hasMore: String?
    /// A page without records ends the pages.
    package var stopOnEmpty = true
    /// At most this many pages per run.
    package var maxPages: Int?

    /// Variables request templates may use: `$cursor` (incremental), `$page`, `$offset`,
    /// `$token`.
    package static let variables = ["cursor", "page", "offset", "token"]

    package init(request: HTTPStageConfig) { self.request = request }

    /// Whether a request template or the body program mentions `$name` (then the paginator
    /// leaves placing its value to them instead of adding a query parameter).
    func templatesUse(_ name: String) -> Bool {
        var texts = [request.url] + request.query.map(\.value) + request.headers.map(\.value)
        switch request.body {
        case .json(let program): texts.append(program)
        case .raw(let template): texts.append(template)
        case nil: break
        }
        return texts.contains { HTTPSourceConfig.mentions(variable: name, in: $0) }
    }

    /// `$name` not followed by a letter, digit or `_`.
    static func mentions(variable name: String, in text: String) -> Bool {
        var rest = Substring(text)
        while let range = rest.range(of: "$" + name) {
            let after = rest[range.upperBound...].first
            if after.map({ !($0.isLetter || $0.isNumber || $0 == "_") }) ?? true { return true }
            rest = rest[range.upperBound...]
        }
        return false
    }
}
