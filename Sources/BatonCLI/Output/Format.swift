import Baton
import BatonJQ
import Foundation

enum Format {
    /// ISO 8601 in UTC: `2026-11-27T05:07:15Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }

    /// ISO 8601 to the minute, for narrow tables: `2026-11-27T05:07Z`.
    static func minute(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm'Z'"
        return formatter.string(from: date)
    }

    static func json(_ date: Date?) -> JSON { date.map { .string(timestamp($0)) } ?? .null }

    static func json(_ number: Int) -> JSON { .number(Double(number)) }

    static func json(_ number: Int64) -> JSON { .number(Double(number)) }

    /// Seconds with millisecond precision.
    static func json(seconds: Double?) -> JSON { seconds.map { .number(($0 * 1000).rounded() / 1000) } ?? .null }

    static func json(_ s: StageSummary) -> JSON {
        .object([
            ("name", .string(s.name)), ("pending", .number(Double(s.pending))), ("running", .number(Double(s.running))),
            ("done", .number(Double(s.done))), ("skipped", .number(Double(s.skipped))), ("failed", .number(Double(s.failed))),
            ("cancelled", .number(Double(s.cancelled))), ("retried", .number(Double(s.retried))),
            ("deduplicated", .number(Double(s.deduplicated))), ("lease_lost", .number(Double(s.leaseLost))),
            ("items_per_second", SummaryRenderer.optional(s.itemsPerSecond)), ("p50_ms", SummaryRenderer.optional(s.p50Milliseconds)),
            ("p95_ms", SummaryRenderer.optional(s.p95Milliseconds)), ("older_version", .number(Double(s.olderVersion))),
        ])
    }

    /// `3 items`, `1 item`.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
