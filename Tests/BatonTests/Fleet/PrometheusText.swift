import Foundation

/// A strict reader of the Prometheus text exposition format (version 0.0.4), checking what
/// promtool checks: names and labels well formed, values numbers, one TYPE per family and
/// before its samples, no series twice, histogram buckets cumulative and ending at `+Inf`
/// with the `_count`.
struct PrometheusText {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    private(set) var values: [Sample: Double] = [:]
    private(set) var types: [String: String] = [:]

    init(_ text: String) throws {
        var seenSamples: Set<String> = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard parts.count >= 3, ["HELP", "TYPE"].contains(parts[1]) else { continue }
                let family = String(parts[2])
                guard Self.isMetricName(family) else { throw SyntaxError(line: number, message: "bad metric name \(family)") }
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw SyntaxError(line: number, message: "bad TYPE line")
                    }
                    guard types[family] == nil else { throw SyntaxError(line: number, message: "second TYPE for \(family)") }
                    guard !seenSamples.contains(family) else { throw SyntaxError(line: number, message: "TYPE of \(family) after its samples") }
                    types[family] = String(parts[3])
                }
                continue
            }
            let (sample, value) = try Self.parseSample(Substring(line), line: number)
            guard values[sample] == nil else { throw SyntaxError(line: number, message: "series given twice: \(line)") }
            values[sample] = value
            seenSamples.insert(Self.family(of: sample.name, types: types))
        }
        try checkHistograms()
    }

    /// The sum of the samples named `name` whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        values.filter { entry in entry.key.name == name && labels.allSatisfy { entry.key.labels[$0.key] == $0.value } }
            .map(\.value).reduce(0, +)
    }

    func has(_ name: String) -> Bool { values.keys.contains { $0.name == name } }

    private static func family(of name: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return name
    }

    private func checkHistograms() throws {
        for (family, type) in types where type == "histogram" {
            let buckets = values.filter { $0.key.name == family + "_bucket" }
            let groups = Dictionary(grouping: buckets) { entry in entry.key.labels.filter { $0.key != "le" } }
            for (labels, series) in groups {
                let ordered = try series.map { entry -> (Double, Double) in
                    guard let le = entry.key.labels["le"], let bound = Self.number(le) else {
                        throw SyntaxError(line: 0, message: "\(family) bucket without a numeric le")
                    }
                    return (bound, entry.value)
                }.sorted { $0.0 < $1.0 }
                guard ordered.last?.0 == .infinity else { throw SyntaxError(line: 0, message: "\(family) \(labels) has no +Inf bucket") }
                for (a, b) in zip(ordered, ordered.dropFirst()) where b.1 < a.1 {
                    throw SyntaxError(line: 0, message: "\(family) \(labels) buckets are not cumulative")
                }
                guard values[Sample(name: family + "_count", labels: labels)] == ordered.last?.1,
                      values[Sample(name: family + "_sum", labels: labels)] != nil else {
                    throw SyntaxError(line: 0, message: "\(family) \(labels): _count differs from the +Inf bucket, or no _sum")
                }
            }
        }
    }

    static func isMetricName(_ name: some StringProtocol) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: some StringProtocol) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func number(_ text: some StringProtocol) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    private static func parseSample(_ line: Substring, line lineNumber: Int) throws -> (Sample, Double) {
        let number = lineNumber
        var rest = line[...]
        let name = rest.prefix { $0 != "{" && $0 != " " }
        guard isMetricName(name) else { throw SyntaxError(line: number, message: "bad metric name in \(line)") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = rest.prefix { $0 != "=" }
                guard isLabelName(label), labels[String(label)] == nil else { throw SyntaxError(line: number, message: "bad label in \(line)") }
                rest = rest.dropFirst(label.count)
                guard rest.first == "=", rest.dropFirst().first == "\"" else { throw SyntaxError(line: number, message: "label value not quoted in \(line)") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let c = rest.first else { throw SyntaxError(line: number, message: "unterminated label value in \(line)") }
                    rest = rest.dropFirst()
                    if c == "\"" { break }
                    if c == "\\" {
                        guard let escaped = rest.first, ["\\", "\"", "n"].contains(escaped) else {
                            throw SyntaxError(line: number, message: "bad escape in \(line)")
                        }
                        value.append(escaped == "n" ? "\n" : escaped)
                        rest = rest.dropFirst()
                    } else {
                        value.append(c)
                    }
                }
                labels[String(label)] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" {
                    throw SyntaxError(line: number, message: "expected , or } in \(line)")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw SyntaxError(line: number, message: "no value in \(line)") }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count), let value = Self.number(fields[0]) else {
            throw SyntaxError(line: number, message: "bad value in \(line)")
        }
        if fields.count == 2 && Int64(fields[1]) == nil { throw SyntaxError(line: number, message: "bad timestamp in \(line)") }
        return (Sample(name: String(name), labels: labels), value)
    }
}
