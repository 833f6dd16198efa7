import Foundation
import Synchronization

/// The process's Prometheus metrics: counters and histograms the engine updates as it works,
/// rendered with the database's gauges (``FleetGauges``) in the text exposition format
/// (version 0.0.4, what Prometheus scrapes and node_exporter's textfile collector reads).
///
/// Counters and histograms count what THIS process did (sum them over the fleet, as
/// Prometheus does with `sum by`); gauges are read from the database, the same for every
/// process that reports them (take `max by`).
package final class MetricsRegistry: Sendable {
    /// The one registry of the process.
    package static let shared = MetricsRegistry()

    /// Bucket upper bounds (seconds) of the latency histograms.
    package static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    /// What an item's attempt ended as, the `outcome` label of `baton_items_total`.
    package enum Outcome: String, Sendable, CaseIterable {
        case done, skipped, failed, retried, deduplicated, leaseLost = "lease_lost", rescued
    }

    private struct Series: Hashable {
        var name: String
        var labels: [String]  // name, value, name, value…
    }

    private struct Histogram {
        var buckets: [Int]
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var counters: [Series: Double] = [:]
        var histograms: [Series: Histogram] = [:]
        /// Runs this process worked: their gauges are reported even once they ended.
        var runs: Set<Int64> = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Adds `amount` items of `stage` that ended as `outcome`.
    package func count(pipeline: String, stage: String, _ outcome: Outcome, _ amount: Int) {
        guard amount > 0 else { return }
        let series = Series(name: "baton_items_total", labels: ["pipeline", pipeline, "stage", stage, "outcome", outcome.rawValue])
        state.withLock { $0.counters[series, default: 0] += Double(amount) }
    }

    /// Records `count` observations of `seconds` in histogram `name`
    /// (`baton_item_duration_seconds`, `baton_commit_duration_seconds`).
    package func observe(_ name: String, pipeline: String, stage: String, seconds: Double, count: Int = 1) {
        guard count > 0 else { return }
        let series = Series(name: name, labels: ["pipeline", pipeline, "stage", stage])
        let bounds = MetricsRegistry.latencyBuckets
        state.withLock { state in
            var histogram = state.histograms[series] ?? Histogram(buckets: Array(repeating: 0, count: bounds.count))
            if let index = bounds.firstIndex(where: { seconds <= $0 }) { histogram.buckets[index] += count }
            histogram.count += count
            histogram.sum += seconds * Double(count)
            state.histograms[series] = histogram
        }
    }

    /// Starts every counter of `pipeline`'s stages at 0 (a series that appears only with its
    /// first increment hides that increment from `rate()` and `increase()`).
    package func declare(pipeline: String, stages: [String]) {
        state.withLock { state in
            for stage in stages {
                for outcome in Outcome.allCases {
                    let series = Series(name: "baton_items_total", labels: ["pipeline", pipeline, "stage", stage, "outcome", outcome.rawValue])
                    if state.counters[series] == nil { state.counters[series] = 0 }
                }
            }
        }
    }

    /// Notes that this process works run `id` (its gauges stay reported after it ends).
    package func noteRun(_ id: Int64) {
        _ = state.withLock { $0.runs.insert(id) }
    }

    package var notedRuns: [Int64] { state.withLock { Array($0.runs).sorted() } }

    /// The text exposition of everything, with `gauges` from the database.
    package func render(gauges: FleetGauges?) -> String {
        let (counters, histograms) = state.withLock { ($0.counters, $0.histograms) }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        header("baton_items_total", "counter",
               "Items of a stage this process finished, by outcome (done, skipped, failed, retried, deduplicated, lease_lost, rescued).")
        for (series, value) in counters.sorted(by: { $0.key.labels.lexicographicallyPrecedes($1.key.labels) }) {
            out += "\(series.name)\(MetricsRegistry.labels(series.labels)) \(MetricsRegistry.number(value))\n"
        }
        for (name, help) in [("baton_item_duration_seconds", "Time from claim to commit of an item, per stage."),
                             ("baton_commit_duration_seconds", "Time of one batch's commit transaction, per stage.")] {
            header(name, "histogram", help)
            for (series, histogram) in histograms.filter({ $0.key.name == name }).sorted(by: { $0.key.labels.lexicographicallyPrecedes($1.key.labels) }) {
                var cumulative = 0
                for (bound, count) in zip(MetricsRegistry.latencyBuckets, histogram.buckets) {
                    cumulative += count
                    out += "\(name)_bucket\(MetricsRegistry.labels(series.labels + ["le", MetricsRegistry.number(bound)])) \(cumulative)\n"
                }
                out += "\(name)_bucket\(MetricsRegistry.labels(series.labels + ["le", "+Inf"])) \(histogram.count)\n"
                out += "\(name)_sum\(MetricsRegistry.labels(series.labels)) \(MetricsRegistry.number(histogram.sum))\n"
                out += "\(name)_count\(MetricsRegistry.labels(series.labels)) \(histogram.count)\n"
            }
        }
        if let gauges {
            header("baton_pending_items", "gauge", "Items waiting in a stage of a running run (all processes; from the database).")
            for g in gauges.stages {
                out += "baton_pending_items\(MetricsRegistry.labels(["pipeline", g.pipeline, "run", g.run, "stage", g.stage])) \(g.pending)\n"
            }
            header("baton_oldest_pending_age_seconds", "gauge", "Age of the oldest item waiting in a stage (0 when none waits).")
            for g in gauges.stages {
                out += "baton_oldest_pending_age_seconds\(MetricsRegistry.labels(["pipeline", g.pipeline, "run", g.run, "stage", g.stage])) \(MetricsRegistry.number(g.oldestPendingSeconds))\n"
            }
            header("baton_live_workers", "gauge", "Processes working a run whose heartbeat is fresh (from the database).")
            for w in gauges.workers {
                out += "baton_live_workers\(MetricsRegistry.labels(["pipeline", w.pipeline, "run", w.run])) \(w.live)\n"
            }
        }
        header("baton_metrics_database_up", "gauge", "1 when the gauges above could be read from the database, else 0.")
        out += "baton_metrics_database_up \(gauges == nil ? 0 : 1)\n"
        return out
    }

    /// `{a="x",b="y"}` with values escaped as the format says (backslash, quote, newline).
    static func labels(_ pairs: [String]) -> String {
        guard !pairs.isEmpty else { return "" }
        var parts: [String] = []
        for index in stride(from: 0, to: pairs.count - 1, by: 2) {
            let value = pairs[index + 1].replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            parts.append("\(pairs[index])=\"\(value)\"")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A sample value: integers without a fraction, others as Swift prints doubles.
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
