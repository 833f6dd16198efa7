import BatonTestSupport
import Foundation
import Synchronization
import Testing

/// `baton explain RUN KEY`: one item's attempts, errors and the outputs it produced.
@Suite("Explaining an item (end to end)")
struct ExplainOperationsTests {
    @Test func explainShowsTheFailedAttemptsBeforeSuccessAndTheChildrenProduced() async throws {
        // Item 2's service answers 503 twice, then 200; item 3's answers 404 (permanent).
        let calls = Mutex<[String: Int]>([:])
        let server = try TestHTTPServer.start { request in
            let n = calls.withLock { $0[request.path, default: 0] += 1; return $0[request.path]! }
            switch request.path {
            case "/items/2" where n <= 2: return .text("busy, try again", status: 503)
            case "/items/3": return .text("no such item", status: 404)
            default: return .json(#"{"parts": ["x", "y"]}"#)
            }
        }
        defer { server.stop() }
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try ws.write("lookup.yaml", """
                pipeline: lookup
                source:
                  items: [{id: 1}, {id: 2}, {id: 3}]
                  key: .id
                stages:
                  - name: fetch
                    http:
                      url: "\(server.baseURL)/items/{{ .id }}"
                      into: found
                    retry: { max_attempts: 4, backoff: fixed, initial: 10ms, max: 10ms }
                  - name: split
                    jq: '.id as $id | .found.parts[] | {id: $id, part: .}'
                    fuse: false
                  - name: label
                    jq: '{label: "\\(.id)-\\(.part)"}'
                    fuse: false
                """)
            let run = try await BatonProcess.run(["run", file, "--run", "ex", "--progress", "none"], database: db)
            #expect(run.status == 1, "\(run)")

            let explained = try await BatonProcess.run(["explain", "ex", "2"], database: db)
            #expect(explained.status == 0, "\(explained)")
            let text = explained.stdout
            #expect(text.contains("[fetch] 2: done after 3 of 4 attempt(s) ◀"), "\(explained)")
            #expect(Self.lines(text, matching: #"^  attempt 1 retry at .*: GET .*/items/2: http 503"#).count == 1, "\(explained)")
            #expect(Self.lines(text, matching: #"^  attempt 2 retry at .*: GET .*/items/2: http 503"#).count == 1, "\(explained)")
            #expect(Self.lines(text, matching: #"^\s+attempt \d+ "#).count == 2, "only the failed attempts: \(explained)")
            // Its output, and what that output produced in turn.
            #expect(text.contains("\n  produced: split/2/0 (done)\n"), "\(explained)")
            #expect(text.contains("\n  [split] 2/0: done after 1 of 3 attempt(s)\n"), "\(explained)")
            #expect(text.contains("\n    produced: label/2/0/0 (done), label/2/0/1 (done)\n"), "\(explained)")
            #expect(text.contains("\n    [label] 2/0/0: done after 1 of 3 attempt(s)\n"), "\(explained)")
            #expect(text.contains("\n    [label] 2/0/1: done after 1 of 3 attempt(s)\n"), "\(explained)")
            #expect(text.contains(#"payload: {"id": 2, "part": "y"}"#), "\(explained)")
            #expect(!text.contains("] 1"), "another item's lineage leaks in: \(explained)")
            let results = try await BatonProcess.run(["results", "ex"], database: db)
            #expect(results.stdout.contains("2/0/1/0\t{\"label\": \"2-y\"}\n"), "\(results)")

            // A permanent error: one attempt, the error, nothing produced.
            let failed = try await BatonProcess.run(["explain", "ex", "3"], database: db)
            #expect(failed.status == 0, "\(failed)")
            #expect(failed.stdout.contains("[fetch] 3: failed after 1 of 4 attempt(s) ◀"), "\(failed)")
            #expect(Self.lines(failed.stdout, matching: #"^  attempt 1 failed at .*: GET .*/items/3: http 404"#).count == 1, "\(failed)")
            // (`http 404`, not `404`: the worker's name holds the process id, which can contain 404.)
            #expect(Self.lines(failed.stdout, matching: #"http 404"#).count == 1, "the error is shown once: \(failed)")
            #expect(!failed.stdout.contains("produced:"), "\(failed)")

            // A child key shows its parent too; an unknown key is a usage error.
            let child = try await BatonProcess.run(["explain", "ex", "2/0/1"], database: db)
            #expect(child.status == 0, "\(child)")
            #expect(child.stdout.contains("[fetch] 2: done after 3 of 4 attempt(s)\n"), "\(child)")
            #expect(child.stdout.contains("[label] 2/0/1: done after 1 of 3 attempt(s) ◀"), "\(child)")
            let unknown = try await BatonProcess.run(["explain", "ex", "99"], database: db)
            #expect(unknown.status == 64, "\(unknown)")
            #expect(unknown.stderr.contains("run ex has no item with key 99"), "\(unknown)")
        }
    }

    static func lines(_ text: String, matching pattern: String) -> [String] {
        let regex = try! Regex(pattern)
        return text.split(separator: "\n").map(String.init).filter { $0.firstMatch(of: regex) != nil }
    }
}
