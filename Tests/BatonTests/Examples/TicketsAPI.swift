import BatonTestSupport
import Foundation

/// The API `pipelines/tickets.yaml` reads, serving `fixtures/tickets.json`:
/// `GET /tickets?since=T&per_page=N&page=P` with a bearer token, tickets updated at or after
/// `since` in order of (updated_at, id), `Link: <…>; rel="next"` while more pages follow.
struct TicketsAPI: Sendable {
    let server: TestHTTPServer
    /// The tickets as JSON objects (`id`, `updated_at`, …), changeable by the test.
    let tickets: TestHTTPServer.LockedBox<[[String: String]]>

    init(token: String, fixture: URL) throws {
        let data = try Data(contentsOf: fixture)
        let decoded = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let list = (decoded?["tickets"] as? [[String: Any]] ?? []).map { ticket in
            ticket.mapValues { "\($0)" }
        }
        let store = TestHTTPServer.LockedBox(list)
        let port = TestHTTPServer.LockedBox(0)
        let server = try TestHTTPServer.start { request in
            guard request.path == "/tickets" else { return .text("not found", status: 404) }
            guard request.header("Authorization") == "Bearer \(token)" else { return .text("unauthorized", status: 401) }
            let query = PagedAPI.query(request)
            let since = query["since"] ?? ""
            let perPage = Int(query["per_page"] ?? "10") ?? 10
            let page = Int(query["page"] ?? "1") ?? 1
            let matching = store.value.filter { ($0["updated_at"] ?? "") >= since }
                .sorted { ($0["updated_at"] ?? "", Int($0["id"] ?? "") ?? 0) < ($1["updated_at"] ?? "", Int($1["id"] ?? "") ?? 0) }
            let start = min(matching.count, (page - 1) * perPage)
            let slice = matching[start..<min(matching.count, start + perPage)]
            let body = "{\"tickets\": [" + slice.map { ticket in
                #"{"id": \#(ticket["id"] ?? "0"), "subject": "\#(ticket["subject"] ?? "")", "status": "\#(ticket["status"] ?? "")", "#
                    + #""requester": "\#(ticket["requester"] ?? "")", "updated_at": "\#(ticket["updated_at"] ?? "")"}"#
            }.joined(separator: ", ") + "]}"
            var headers: [(String, String)] = []
            if start + perPage < matching.count {
                let sinceText = since.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? since
                headers.append(("Link", "<http://127.0.0.1:\(port.value)/tickets?since=\(sinceText)&per_page=\(perPage)&page=\(page + 1)>; rel=\"next\""))
            }
            return .json(body, headers: headers)
        }
        port.withLock { $0 = server.port }
        self.server = server
        tickets = store
    }

    var baseURL: String { server.baseURL }
}
