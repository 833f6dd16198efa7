import BatonTestSupport
import Foundation

/// A paginated JSON API over a list of records `{id, updated_at}` for source tests, one path
/// per paginator (page size `pageSize`). Records with `updated_at >= since` only, when the
/// request has `since=`. Every request is answered by ``respond(_:)``, after ``intercept``
/// had its say (to hang, fail or loop on chosen pages).
struct PagedAPI: Sendable {
    struct Record: Sendable {
        var id: Int
        var updatedAt: String
    }

    let pageSize: Int
    let records: TestHTTPServer.LockedBox<[Record]>
    /// Returns an action to answer a request differently (nil: answer normally).
    let intercept: TestHTTPServer.LockedBox<(@Sendable (TestHTTPRequest, [String: String]) -> TestHTTPAction?)?>
    let server: TestHTTPServer

    /// Records 1…`count`, `updated_at` one minute apart from 2026-01-01T00:00:00Z.
    init(count: Int, pageSize: Int = 10) throws {
        let records = TestHTTPServer.LockedBox((1...count).map { Record(id: $0, updatedAt: PagedAPI.time(minute: $0)) })
        let intercept = TestHTTPServer.LockedBox<(@Sendable (TestHTTPRequest, [String: String]) -> TestHTTPAction?)?>(nil)
        let port = TestHTTPServer.LockedBox(0)
        let server = try TestHTTPServer.start { request in
            PagedAPI.respond(request, records: records.value, intercept: intercept.value, port: port.value, pageSize: pageSize)
        }
        port.withLock { $0 = server.port }
        self.pageSize = pageSize
        self.records = records
        self.intercept = intercept
        self.server = server
    }

    var baseURL: String { server.baseURL }

    static func time(minute: Int) -> String {
        String(format: "2026-01-01T%02d:%02d:00Z", minute / 60, minute % 60)
    }

    /// The decoded query of a request.
    static func query(_ request: TestHTTPRequest) -> [String: String] {
        var pairs: [String: String] = [:]
        for pair in (request.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            pairs[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return pairs
    }

    /// Requests received for `path`, with their query.
    func requests(_ path: String) -> [[String: String]] {
        server.requests.filter { $0.path == path }.map(PagedAPI.query)
    }

    static func respond(
        _ request: TestHTTPRequest, records: [Record], intercept: (@Sendable (TestHTTPRequest, [String: String]) -> TestHTTPAction?)?,
        port: Int, pageSize: Int
    ) -> TestHTTPAction {
        let query = PagedAPI.query(request)
        if let intercept, let action = intercept(request, query) { return action }
        let since = query["since"] ?? ""
        let all = records.filter { $0.updatedAt >= since }
        func json(_ slice: ArraySlice<Record>) -> String {
            "[" + slice.map { #"{"id": \#($0.id), "updated_at": "\#($0.updatedAt)"}"# }.joined(separator: ", ") + "]"
        }
        func page(_ number: Int) -> ArraySlice<Record> {
            let start = min(all.count, (number - 1) * pageSize)
            return all[start..<min(all.count, start + pageSize)]
        }
        let sinceQuery = query["since"].map { "&since=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        switch request.path {
        case "/next":
            let number = Int(query["page"] ?? "1") ?? 1
            let next = number * pageSize < all.count ? #""/next?page=\#(number + 1)\#(sinceQuery)""# : "null"
            return .json(#"{"data": \#(json(page(number))), "links": {"next": \#(next)}}"#)
        case "/link":
            let number = Int(query["page"] ?? "1") ?? 1
            var headers: [(String, String)] = []
            if number * pageSize < all.count {
                headers.append(("Link", #"<http://127.0.0.1:\#(port)/link?page=\#(number + 1)>; rel="next", </link?page=1>; rel="first""#))
            }
            return .json(json(page(number)), headers: headers)
        case "/offset":
            let offset = Int(query["offset"] ?? "0") ?? 0
            let limit = Int(query["limit"] ?? "\(pageSize)") ?? pageSize
            let slice = all[min(all.count, offset)..<min(all.count, offset + limit)]
            return .json(#"{"items": \#(json(slice))}"#)
        case "/page":
            let number = Int(query["page"] ?? "1") ?? 1
            return .json(#"{"results": \#(json(page(number))), "has_more": \#(number * pageSize < all.count)}"#)
        case "/cursor":
            let offset = query["cursor"].flatMap { Int($0.dropFirst(3)) } ?? 0
            let slice = all[min(all.count, offset)..<min(all.count, offset + pageSize)]
            let next = offset + pageSize < all.count ? #""tok\#(offset + pageSize)""# : "null"
            return .json(#"{"items": \#(json(slice)), "meta": {"next_cursor": \#(next)}}"#)
        default:
            return .text("not found", status: 404)
        }
    }
}
