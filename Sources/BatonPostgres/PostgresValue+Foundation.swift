public import struct Foundation.Date
public import struct Foundation.UUID

extension Date: PostgresEncodable {
    /// Sent as an ISO 8601 UTC timestamp with microseconds (`timestamptz`).
    public var postgresValue: PostgresValue {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int64((micros / 1_000_000).rounded(.down))
        let fraction = Int64(micros) - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) "
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))+00"
        return PostgresValue(bytes: Array(text.utf8), typeOID: 1184)
    }
}

extension Date: PostgresDecodable {
    /// Decodes `timestamptz` / `timestamp` text in the ISO DateStyle:
    /// `2026-11-27 03:25:17.123456+00`, `…+05:30`, or without zone (taken as UTC).
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> Date {
        let text = Array(bytes)
        var index = 0
        func number(_ width: Int) throws -> Int64 {
            guard index + width <= text.count else { throw bad() }
            var value: Int64 = 0
            for _ in 0..<width {
                let digit = text[index] &- UInt8(ascii: "0")
                guard digit < 10 else { throw bad() }
                value = value * 10 + Int64(digit)
                index += 1
            }
            return value
        }
        func expect(_ character: Character) throws {
            guard index < text.count, text[index] == character.asciiValue! else { throw bad() }
            index += 1
        }
        func bad() -> PostgresError {
            PostgresError(code: .decoding, message: "not a timestamp: \(String(decoding: text, as: UTF8.self))")
        }
        var digits = 0
        while index + digits < text.count, text[index + digits] != UInt8(ascii: "-") { digits += 1 }
        let year = try number(digits)
        try expect("-")
        let month = try number(2)
        try expect("-")
        let day = try number(2)
        guard index < text.count, text[index] == UInt8(ascii: " ") || text[index] == UInt8(ascii: "T") else { throw bad() }
        index += 1
        let hour = try number(2)
        try expect(":")
        let minute = try number(2)
        try expect(":")
        let second = try number(2)
        var fraction = 0.0
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < text.count, let digit = Optional(text[index] &- UInt8(ascii: "0")), digit < 10 {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
        }
        var offset: Int64 = 0
        if index < text.count {
            let sign: Int64 = text[index] == UInt8(ascii: "-") ? -1 : 1
            guard text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") else { throw bad() }
            index += 1
            let hours = try number(2)
            var minutes: Int64 = 0
            var seconds: Int64 = 0
            if index < text.count, text[index] == UInt8(ascii: ":") { index += 1; minutes = try number(2) }
            if index < text.count, text[index] == UInt8(ascii: ":") { index += 1; seconds = try number(2) }
            offset = sign * (hours * 3600 + minutes * 60 + seconds)
        }
        let days = daysFromCivil(year, month, day)
        let epochSeconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(epochSeconds) + fraction)
    }
}

extension UUID: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(bytes: Array(uuidString.lowercased().utf8), typeOID: 2950) }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws -> UUID {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let uuid = UUID(uuidString: text) else {
            throw PostgresError(code: .decoding, message: "not a uuid: \(text)")
        }
        return uuid
    }
}

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian, days since 1970-01-01).
private func daysFromCivil(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 {
    let y = m <= 2 ? y - 1 : y
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

private func civilFromDays(_ z: Int64) -> (Int64, Int64, Int64) {
    let z = z + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp + (mp < 10 ? 3 : -9)
    return (m <= 2 ? y + 1 : y, m, d)
}
