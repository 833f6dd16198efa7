import Baton
import BatonJQ
import Foundation

enum Format {
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

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
}
