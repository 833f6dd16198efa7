@testable import Baton
import Foundation
import Testing

/// Loading the sources of issue 13: http sources with their paginators, incremental cursors,
/// file sets, and the warning for a glob that matches nothing yet.
@Suite("Source configuration")
struct SourceConfigTests {
    static func load(_ text: String, directory: String = NSTemporaryDirectory()) throws -> Pipeline {
        try PipelineLoader.load(text: text, file: directory + "/p.yaml", environment: ["API": "https://api.example.com", "TOKEN": "sk-secret"])
    }

    @Test func anHTTPSourceWithEveryPartIsLoaded() throws {
        let pipeline = try Self.load("""
            pipeline: api
            source:
              http:
                url: "${API}/items"
                query: { since: "{{ $cursor }}", per_page: "50" }
                headers: { Authorization: "Bearer ${TOKEN}" }
                records: .data
                rate: 5/s
                paginate: { cursor: .meta.next, param: after, has_more: .meta.more, stop_on_empty: false, max_pages: 20 }
              retry: { max_attempts: 7, initial: 2s }
              key: .id
              incremental: { cursor: .updated_at, initial: "2026-01-01", lookback: 1h }
            stages: [ { name: echo, jq: . } ]
            """)
        let source = try #require(pipeline.source.definition as? HTTPSource)
        #expect(source.config.request.url == "https://api.example.com/items")
        #expect(source.config.records == ".data")
        #expect(source.config.paginator == .cursor(program: ".meta.next", param: "after"))
        #expect(source.config.hasMore == ".meta.more")
        #expect(source.config.stopOnEmpty == false)
        #expect(source.config.maxPages == 20)
        #expect(source.config.request.rate == 5)
        #expect(source.retry.maxAttempts == 7 && source.retry.initial == .seconds(2) && source.retry.max == .seconds(60))
        #expect(pipeline.source.incremental == IncrementalSpec(cursor: ".updated_at", initial: "2026-01-01T00:00:00Z",
                                                               kind: .timestamp, lookback: .duration(.seconds(3600))))
        #expect(pipeline.secrets.contains("sk-secret"))
    }

    @Test(arguments: [
        ("{ next_url: .links.next }", HTTPSourceConfig.Paginator.nextURL(program: ".links.next")),
        ("{ link_header: true }", .linkHeader),
        ("{ offset: skip, limit: 100, limit_param: take }", .offset(param: "skip", start: 0, limit: 100, limitParam: "take")),
        ("{ page: p, start: 0 }", .page(param: "p", start: 0, limit: nil, limitParam: "limit")),
        ("{ cursor: .next }", .cursor(program: ".next", param: "cursor")),
    ])
    func eachPaginatorIsLoaded(paginate: String, expected: HTTPSourceConfig.Paginator) throws {
        let pipeline = try Self.load("""
            pipeline: api
            source: { http: { url: "https://api.example.com/items", paginate: \(paginate) } }
            stages: [ { name: echo, jq: . } ]
            """)
        #expect((pipeline.source.definition as? HTTPSource)?.config.paginator == expected)
    }

    @Test func aNumberInitialMakesANumberCursor() throws {
        let pipeline = try Self.load("""
            pipeline: ids
            source:
              sql: SELECT * FROM t WHERE id > :_cursor ORDER BY id
              incremental: { cursor: .id, initial: 0, lookback: 100 }
            stages: [ { name: echo, jq: . } ]
            """)
        #expect(pipeline.source.incremental == IncrementalSpec(cursor: ".id", initial: "0", kind: .number, lookback: .amount(100)))
    }

    @Test func aGlobMatchingNothingIsAWarningNotAnError() throws {
        let directory = NSTemporaryDirectory() + "baton-glob-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipeline = try Self.load("""
            pipeline: drops
            source: { jsonl: "\(directory)/in/*.jsonl" }
            stages: [ { name: echo, jq: . } ]
            """, directory: directory)
        #expect((pipeline.source.definition as? FileSetSource)?.pattern == "\(directory)/in/*.jsonl")
        #expect(pipeline.warnings.map(\.field) == ["source.jsonl"])
        #expect(pipeline.warnings.first?.message.contains("matches no file (yet)") == true)
        #expect(pipeline.warnings.first?.line == 2)
    }

    @Test func aFolderIsAFileSetAndASingleFileIsNot() throws {
        let directory = NSTemporaryDirectory() + "baton-folder-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/in", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "{}\n".write(toFile: directory + "/in/a.jsonl", atomically: true, encoding: .utf8)
        let folder = try Self.load("pipeline: f\nsource: { jsonl: \(directory)/in }\nstages: [ { name: e, jq: . } ]", directory: directory)
        #expect(folder.source.definition is FileSetSource)
        #expect(folder.warnings.isEmpty)
        let single = try Self.load("pipeline: f\nsource: { jsonl: \(directory)/in/a.jsonl }\nstages: [ { name: e, jq: . } ]", directory: directory)
        #expect(single.source.definition is JSONLSource)
    }
}
