import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// `http.fail_on` has a meaning: its statuses fail the item at once, even ones that would
/// otherwise be retried (the default retry_on) or count as success (2xx); the most specific
/// mention of a status wins, and one named equally specifically in two of retry_on /
/// fail_on / success_on is a validation error (issue 10, point 4).
@Suite("http.fail_on (end to end)", .serialized)
struct HTTPFailOnOperationsTests {
    static func pipeline(_ ws: Workspace, url: String, http extra: String) throws -> String {
        try ws.write("h.yaml", """
            pipeline: h
            source:
              items: [{id: 1}, {id: 2}]
              key: .id
            stages:
              - name: fetch
                http:
                  url: "\(url)/things/{{ .id }}"
                  response: text
            \(extra)
                retry: { max_attempts: 3, initial: 0s }
            """)
    }

    @Test(arguments: [
        // (status, fail_on, attempts per item, exit)
        (503, "      fail_on: [503]", 1, 1),
        (503, "", 3, 1),
        (204, "      fail_on: [204]", 1, 1),
        (204, "", 1, 0),
        (503, "      retry_on: [5xx]\n      fail_on: [503]", 1, 1),
        (502, "      retry_on: [5xx]\n      fail_on: [503]", 3, 1),
        (409, "      fail_on: [4xx]\n      success_on: [409]", 1, 0),
    ])
    func statusesInFailOnFailAtOnce(status: Int, failOn: String, attempts: Int, exit: Int32) async throws {
        let server = try TestHTTPServer.start { _ in .status(status) }
        defer { server.stop() }
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws, url: server.baseURL, http: failOn)
            let run = try await BatonProcess.run(["run", file, "--run", "h", "--progress", "none"], database: db)
            #expect(run.status == exit, "\(run)")
            #expect(server.requestCount == 2 * attempts, "\(server.requestCount) requests")
            let conn = try db.connect()
            if exit == 1 {
                #expect(try Ops.rows(conn, "SELECT DISTINCT error_class FROM baton.items WHERE state = 'failed'") == ["http \(status)"])
            }
        }
    }

    @Test func aStatusInTwoSetsIsAValidationErrorAtTheLaterKey() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try Self.pipeline(ws, url: "http://127.0.0.1:1", http: """
                  retry_on: [429, 5xx]
                  fail_on: [404, "500-599"]
                  success_on: [404, 409]
            """)
        let validate = try await BatonProcess.run(["validate", file, "--no-db"], database: nil)
        #expect(validate.status == 78, "\(validate)")
        #expect(validate.stdout.contains("\(file):11:16: stages[0].http.fail_on: statuses 500-599 are in both `retry_on` (line 10) and `fail_on`"), "\(validate)")
        #expect(validate.stdout.contains("\(file):12:19: stages[0].http.success_on: status 404 is in both `fail_on` (line 11) and `success_on`"), "\(validate)")
    }
}
