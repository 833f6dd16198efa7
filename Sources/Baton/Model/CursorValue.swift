/// Parsing, comparing and shifting incremental cursor values. Values are kept as canonical
/// text of their kind, which Postgres casts without fail (`numeric`, `timestamptz`):
/// numbers as plain decimals, timestamps as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC,
/// microseconds, as Postgres keeps them).
package enum CursorValue {
    /// The kind of cursor an `initial` value implies: a number, a timestamp, else text.
    package static func kind(ofInitial text: String, isNumber: Bool) -> CursorKind {
        if isNumber { return .number }
        return Timestamp(parsing: text) != nil ? .timestamp : .text
    }

    /// `text` as a canonical value of `kind`, nil if it is not one.
    package static func canonical(_ text: String, kind: CursorKind) -> String? {
        switch kind {
        case .number:
            guard let number = Double(text.trimmingWhitespace()), number.isFinite else { return nil }
            return format(number)
        case .timestamp:
            return Timestamp(parsing: text)?.text
        case .text:
            return text
        }
    }

    /// Whether canonical `a` comes before canonical `b`.
    package static func isLess(_ a: String, _ b: String, kind: CursorKind) -> Bool {
        switch kind {
        case .number:
            return (Double(a) ?? 0) < (Double(b) ?? 0)
        case .timestamp:
            guard let x = Timestamp(parsing: a), let y = Timestamp(parsing: b) else { return a < b }
            return (x.seconds, x.nanoseconds) < (y.seconds, y.nanoseconds)
        case .text:
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// Canonical `value` moved back by `lookback`; nil if the lookback does not fit the kind.
    package static func subtracting(_ lookback: IncrementalSpec.Lookback, from value: String, kind: CursorKind) -> String? {
        switch (kind, lookback) {
        case (.number, .amount(let amount)):
            return Double(value).map { format($0 - amount) }
        case (.timestamp, .duration(let duration)):
            guard var time = Timestamp(parsing: value) else { return nil }
            let (seconds, attoseconds) = duration.components
            time.seconds -= seconds
            time.nanoseconds -= attoseconds / 1_000_000_000
            if time.nanoseconds < 0 {
                time.nanoseconds += 1_000_000_000
                time.seconds -= 1
            }
            return time.text
        default:
            return nil
        }
    }

    package static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds (truncated to
    /// microseconds when parsed).
    struct Timestamp {
        var seconds: Int64
        var nanoseconds: Int64

        /// `YYYY-MM-DD`, optionally `T` (or a space) `HH:MM[:SS[.fraction]]` and a zone (`Z`,
        /// `±HH`, `±HHMM`, `±HH:MM`); without a zone, UTC.
        init?(parsing raw: String) {
            let s = Array(raw.trimmingWhitespace().utf8)
            var i = 0
            func digits(_ count: Int) -> Int64? {
                guard i + count <= s.count else { return nil }
                var value: Int64 = 0
                for _ in 0..<count {
                    guard (48...57).contains(s[i]) else { return nil }
                    value = value * 10 + Int64(s[i] - 48)
                    i += 1
                }
                return value
            }
            func expect(_ byte: UInt8) -> Bool {
                guard i < s.count, s[i] == byte else { return false }
                i += 1
                return true
            }
            guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
                  let day = digits(2), (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year) else { return nil }
            var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, nanos: Int64 = 0
            if i < s.count, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(s[i]) {
                i += 1
                guard let h = digits(2), expect(UInt8(ascii: ":")), let m = digits(2), h <= 23, m <= 59 else { return nil }
                hour = h
                minute = m
                if expect(UInt8(ascii: ":")) {
                    guard let sec = digits(2), sec <= 60 else { return nil }
                    second = sec
                    if i < s.count, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",") {
                        i += 1
                        var scale: Int64 = 100_000_000
                        var any = false
                        while i < s.count, (48...57).contains(s[i]) {
                            nanos += Int64(s[i] - 48) * scale
                            scale /= 10
                            any = true
                            i += 1
                        }
                        guard any else { return nil }
                        nanos -= nanos % 1000
                    }
                }
            }
            var offset: Int64 = 0
            if i < s.count {
                if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
                    i += 1
                } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                    let sign: Int64 = s[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let h = digits(2), h <= 23 else { return nil }
                    var m: Int64 = 0
                    if i < s.count {
                        _ = expect(UInt8(ascii: ":"))
                        guard let minutes = digits(2), minutes <= 59 else { return nil }
                        m = minutes
                    }
                    offset = sign * (h * 3600 + m * 60)
                } else {
                    return nil
                }
            }
            guard i == s.count else { return nil }
            seconds = Timestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
            nanoseconds = nanos
        }

        /// Canonical text.
        var text: String {
            let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            let rest = seconds - days * 86_400
            let (year, month, day) = Timestamp.civil(days: days)
            func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
            var yearText = String(year)
            while yearText.count < 4 { yearText = "0" + yearText }
            var out = "\(yearText)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))"
            let micros = nanoseconds / 1000
            if micros > 0 {
                var fraction = String(micros)
                while fraction.count < 6 { fraction = "0" + fraction }
                while fraction.hasSuffix("0") { fraction.removeLast() }
                out += "." + fraction
            }
            return out + "Z"
        }

        static func daysIn(month: Int64, year: Int64) -> Int64 {
            switch month {
            case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }

        /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
        static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }

        static func civil(days: Int64) -> (Int64, Int64, Int64) {
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let day = doy - (153 * mp + 2) / 5 + 1
            let month = mp < 10 ? mp + 3 : mp - 9
            return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
