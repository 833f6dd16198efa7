@testable import Baton
import BatonTestSupport
import Foundation
import Testing

/// The pure rules behind the new sources: cursor values, pagination, template variables,
/// gzip lines.
@Suite("Source rules")
struct SourceRulesTests {
    @Test(arguments: [
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-01", "2026-01-01T00:00:00Z"),
        ("2026-03-01 10:15:30+02:00", "2026-03-01T08:15:30Z"),
        ("2026-03-01T10:15:30.123456789-0130", "2026-03-01T11:45:30.123456Z"),
        ("2026-02-28T23:59:59.5Z", "2026-02-28T23:59:59.5Z"),
        ("2024-02-29T00:00:00", "2024-02-29T00:00:00Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func timestampsAreCanonicalUTC(text: String, canonical: String) {
        #expect(CursorValue.canonical(text, kind: .timestamp) == canonical)
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "yesterday", "2026-01-01T25:00:00Z", "2026-01-01T10:00:00Q", ""])
    func whatIsNotATimestampIsRefused(text: String) {
        #expect(CursorValue.canonical(text, kind: .timestamp) == nil)
    }

    @Test func cursorsCompareByKind() {
        #expect(CursorValue.isLess("9", "10", kind: .number))
        #expect(!CursorValue.isLess("9", "10", kind: .text))
        #expect(CursorValue.isLess("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", kind: .timestamp))
        #expect(CursorValue.canonical("42.0", kind: .number) == "42")
        #expect(CursorValue.canonical("abc", kind: .number) == nil)
    }

    @Test func theLookbackMovesTheStartBack() {
        let spec = IncrementalSpec(cursor: ".t", initial: "2026-01-01T00:00:00Z", kind: .timestamp, lookback: .duration(.seconds(5400)))
        #expect(spec.start(from: nil) == "2026-01-01T00:00:00Z")
        #expect(spec.start(from: "2026-03-01T00:30:00Z") == "2026-02-28T23:00:00Z")
        let ids = IncrementalSpec(cursor: ".id", initial: "0", kind: .number, lookback: .amount(10))
        #expect(ids.start(from: "105") == "95")
    }

    @Test func linkHeadersGiveTheirNextTarget() {
        #expect(HTTPPagination.nextLink(inLinkHeaders: [#"<https://a.test/x?page=2>; rel="next", <https://a.test/x?page=9>; rel="last""#])
                == "https://a.test/x?page=2")
        #expect(HTTPPagination.nextLink(inLinkHeaders: [#"<https://a.test/x?page=1>; rel="prev""#, "</y?page=3>; rel=\"next last\""]) == "/y?page=3")
        #expect(HTTPPagination.nextLink(inLinkHeaders: [#"<https://a.test/x?page=1>; rel="prev""#]) == nil)
    }

    @Test func relativeNextURLsResolveAgainstTheRequest() {
        #expect(HTTPPagination.resolve("/items?page=2", against: "https://a.test/v1/items?page=1") == "https://a.test/items?page=2")
        #expect(HTTPPagination.resolve("?page=2", against: "https://a.test/v1/items?page=1") == "https://a.test/v1/items?page=2")
        #expect(HTTPPagination.resolve("ftp://a.test/x", against: "https://a.test/") == nil)
    }

    @Test func offsetPagesStopAtAShortPageAndHasMoreFalseStopsAny() throws {
        var config = HTTPSourceConfig(request: HTTPStageConfig(url: "https://a.test/x"))
        config.paginator = .offset(param: "offset", start: 0, limit: 2, limitParam: "limit")
        let full = try HTTPPagination.next(after: HTTPPageState(), records: ["1", "2"], config: config, requestURL: "u", sent: "s1",
                                           nextLink: nil, hasMore: nil, shown: "u")
        #expect(full.offset == 2 && !full.done && full.pages == 1 && full.recent == ["s1"])
        let short = try HTTPPagination.next(after: full, records: ["3"], config: config, requestURL: "u", sent: "s2",
                                            nextLink: nil, hasMore: nil, shown: "u")
        #expect(short.done)
        let told = try HTTPPagination.next(after: HTTPPageState(), records: ["1", "2"], config: config, requestURL: "u", sent: "s1",
                                           nextLink: nil, hasMore: false, shown: "u")
        #expect(told.done)
    }

    @Test func templateVariablesAreBoundFromTheInput() throws {
        let template = try Template("/items?since={{ $cursor }}&p={{ $page }}", variables: HTTPSourceConfig.variables)
        let input = HTTPPagination.variables(HTTPPageState(pages: 2), cursor: "2026-01-01T00:00:00Z", paginator: nil)
        #expect(try template.render(input, encoding: .none) == "/items?since=2026-01-01T00:00:00Z&p=3")
        #expect(HTTPSourceConfig.mentions(variable: "page", in: "{{ $page }}"))
        #expect(!HTTPSourceConfig.mentions(variable: "page", in: "{{ $pages }}"))
    }

    @Test func gzipLinesAndOffsetsAreThoseOfTheDecompressedText() throws {
        let path = NSTemporaryDirectory() + "baton-gz-\(UUID().uuidString).jsonl.gz"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = (1...5000).map { #"{"n": \#($0)}"# }.joined(separator: "\n") + "\n"
        try Data(gzip(Array(text.utf8))).write(to: URL(fileURLWithPath: path))
        let reader = try LineReader(path: path)
        var count = 0
        while let line = try reader.next() {
            count += 1
            if count == 4000 { #expect(line == #"{"n": 4000}"#) }
        }
        #expect(count == 5000)
        #expect(reader.offset == Int64(text.utf8.count))
        // Resuming at a line boundary continues with the next line.
        let second = try LineReader(path: path)
        let boundary = Int64((1...10).map { #"{"n": \#($0)}"# }.joined(separator: "\n").utf8.count + 1)
        try second.seek(offset: boundary, line: 10)
        #expect(try second.next() == #"{"n": 11}"#)
        #expect(second.lineNumber == 11)
    }
}
