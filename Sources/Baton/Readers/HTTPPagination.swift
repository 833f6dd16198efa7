import BatonHTTP
import BatonJQ
import Foundation

/// The pure rules of pagination: the next page's state from a page, `Link` headers,
/// relative URLs. No I/O.
enum HTTPPagination {
    /// How many request fingerprints a state keeps.
    static let recentLimit = 100

    /// What a fetched page tells: its records and the state of the page after it.
    struct Page {
        var records: [String]
        var next: HTTPPageState
    }

    /// The query parameters the paginator adds to the request of `state`.
    static func parameters(_ paginator: HTTPSourceConfig.Paginator?, _ state: HTTPPageState, config: HTTPSourceConfig) -> [(String, String)] {
        switch paginator {
        case .offset(let param, let start, let limit, let limitParam):
            var pairs: [(String, String)] = []
            if !config.templatesUse("offset") { pairs.append((param, String(state.offset ?? start))) }
            if let limit { pairs.append((limitParam, String(limit))) }
            return pairs
        case .page(let param, let start, let limit, let limitParam):
            var pairs: [(String, String)] = []
            if !config.templatesUse("page") { pairs.append((param, String(state.page ?? start))) }
            if let limit { pairs.append((limitParam, String(limit))) }
            return pairs
        case .cursor(_, let param):
            guard let token = state.token, !config.templatesUse("token") else { return [] }
            return [(param, token)]
        case .nextURL, .linkHeader, nil:
            return []
        }
    }

    /// The input of the request templates: `{cursor, page, offset, token}`.
    static func variables(_ state: HTTPPageState, cursor: String?, paginator: HTTPSourceConfig.Paginator?) -> String {
        let page: Int
        var offset = state.offset
        switch paginator {
        case .page(_, let start, _, _): page = state.page ?? start
        case .offset(_, let start, _, _):
            page = state.pages + 1
            offset = state.offset ?? start
        default: page = state.pages + 1
        }
        return JSON.object([
            ("cursor", cursor.map(JSON.string) ?? .null), ("page", .number(Double(page))),
            ("offset", offset.map { .number(Double($0)) } ?? .null), ("token", state.token.map(JSON.string) ?? .null),
        ]).serialized
    }

    /// The records of a page: each output of the program, a single array output unpacked.
    static func records(_ outputs: [JSON]) -> [String] {
        if outputs.count == 1, case .array(let elements) = outputs[0] { return elements.map(\.serialized) }
        return outputs.map(\.serialized)
    }

    /// The next page's state after `state`'s page, which held `records` and was fetched with
    /// `request` (fingerprint `sent`). `nextLink` is what the body or headers said about the
    /// next page (URL or token) for the paginators that need it; `hasMore` the `has_more`
    /// program's verdict; `shown` the request as messages show it (redacted). Throws when the
    /// server would make the pagination loop.
    static func next(
        after state: HTTPPageState, records: [String], config: HTTPSourceConfig, requestURL: String, sent: String,
        nextLink: String?, hasMore: Bool?, shown: String
    ) throws -> HTTPPageState {
        var next = state
        next.pages += 1
        next.skip = 0
        next.url = nil
        next.recent = Array((state.recent + [sent]).suffix(recentLimit))
        var done = (records.isEmpty && config.stopOnEmpty) || hasMore == false
        if !records.isEmpty {
            let checksum = StableHash.hex(records.joined(separator: "\n"))
            if checksum == state.previousPage, config.paginator != nil {
                throw BatonError(.data, """
                    source: page \(state.pages + 1) (\(shown)) returned the same records as the page before it: \
                    the server seems to ignore the paginator; stopping instead of looping
                    """)
            }
            next.previousPage = checksum
        }
        switch config.paginator {
        case nil:
            done = true
        case .nextURL, .linkHeader:
            if let link = nextLink.map({ $0.trimmingCharacters(in: .whitespaces) }), !link.isEmpty {
                guard let resolved = resolve(link, against: requestURL) else {
                    throw BatonError(.data, "source: page \(state.pages + 1) (\(shown)) gave the next URL `\(link.prefix(200))`, which is not an http(s) URL")
                }
                next.url = resolved
            } else {
                done = true
            }
        case .offset(_, let start, let limit, _):
            next.offset = (state.offset ?? start) + records.count
            if let limit, records.count < limit { done = true }
        case .page(_, let start, let limit, _):
            next.page = (state.page ?? start) + 1
            if let limit, records.count < limit { done = true }
        case .cursor:
            if let token = nextLink, !token.isEmpty {
                next.token = token
            } else {
                done = true
            }
        }
        next.done = done
        return next
    }

    /// A request's identity for loop detection: method, URL and body.
    static func fingerprint(_ request: HTTPRequest) -> String {
        StableHash.hex(request.method + "\u{1}" + request.url + "\u{1}" + String(decoding: request.body ?? [], as: UTF8.self))
    }

    /// The `rel="next"` target of `Link` header values (RFC 8288), or nil.
    static func nextLink(inLinkHeaders values: [String]) -> String? {
        for value in values {
            var rest = Substring(value)
            while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
                let target = String(rest[rest.index(after: open)..<close])
                var params = rest[rest.index(after: close)...]
                if let nextLink = params.firstIndex(of: "<") { params = params[..<nextLink] }
                rest = rest[close...].dropFirst()
                for param in params.split(separator: ";") {
                    let pair = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ,\t\"")) }
                    guard pair.count == 2, pair[0].lowercased() == "rel" else { continue }
                    if pair[1].lowercased().split(separator: " ").contains("next") { return target }
                }
            }
        }
        return nil
    }

    /// `link` as an absolute http(s) URL, resolved against `base` when relative.
    static func resolve(_ link: String, against base: String) -> String? {
        let lowered = link.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") { return link }
        guard !lowered.contains("://"), let baseURL = URL(string: base),
              let url = URL(string: link, relativeTo: baseURL)?.absoluteURL.absoluteString else { return nil }
        let scheme = url.lowercased()
        return scheme.hasPrefix("http://") || scheme.hasPrefix("https://") ? url : nil
    }
}
