/// Durations as written in pipeline files: a number and a unit (`500ms`, `30s`, `5m`, `2h`,
/// `1d`), several combined (`1m30s`); numbers may have a fraction (`1.5s`).
///
/// Public so command-line options (`--older-than 7d`) read durations the same way.
package enum DurationSyntax {
    /// Units, longest spelling first so `ms` is not read as `m`.
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
    ]

    /// Anything longer is a typo (and would overflow `Duration`).
    private static let maximumSeconds: Double = 100 * 365 * 86_400

    /// The duration `text` stands for; nil if it is not one.
    package static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var milliseconds = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number.first != ".", number.last != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            milliseconds += value * unit.seconds * 1000
        }
        guard milliseconds.isFinite, milliseconds / 1000 <= maximumSeconds else { return nil }
        let whole = milliseconds.rounded(.down)
        let fraction = milliseconds - whole
        return .milliseconds(Int64(whole)) + .nanoseconds(Int64((fraction * 1_000_000).rounded()))
    }

    /// What to suggest for a bare number: the same number in seconds.
    static func suggestion(forNumber text: String) -> String {
        "write \(text)s (units: ms, s, m, h, d; combined like 1m30s)"
    }
}
