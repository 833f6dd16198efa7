import Foundation
import BatonJQ

/// How seeding turns a source record's JSON into an item: its key (the source's `key:`
/// program, or a hash of the compact JSON), the payload to store, and what Postgres would
/// refuse. Shared by seeding, the whole-source check before it, and the re-reading of bad
/// records on replay, so the three agree on every record.
struct RecordKeying {
    let keys: JQProgramPool?

    init(program: String?) throws {
        keys = try program.map { try JQProgramPool($0) }
    }

    /// The item's key and the payload to store. Without `key:`, records are keyed by their
    /// compact JSON (a verbatim record is compacted first, its literals kept as written), so
    /// the same record spaced differently is the same item. Throws the key program's error.
    func admit(_ record: SourceRecord) throws -> (key: String, payload: String)? {
        guard let payload = record.payload else { return nil }
        if let keys { return (try keys.singleText(json: payload, what: "source key", strict: record.verbatim), payload) }
        // A verbatim record is strict JSON (the reader checked it): no second validation.
        let compact = record.verbatim ? JSONScan.compacted(strict: payload) : payload
        return (StableHash.hex(compact), compact)
    }

    /// Why Postgres could not store the item, if it could not.
    static func storageProblem(payload: String, key: String) -> String? {
        if containsEscapedNUL(payload) {
            return "the record contains a NUL character (\\u0000), which Postgres cannot store"
        }
        if key.utf8.count > 1000 { return "the key is \(key.utf8.count) bytes long (1000 at most)" }
        if isBadRecordKey(key) {
            return "the key `\(key)` has the form Baton gives bad records (line:N): a bad record with it would be lost; choose another key"
        }
        return nil
    }

    /// `line:N` or `FILE:line:N`: the keys of bad records (``SeedChunkReader``). A record keyed
    /// so once shared the bad record's key, and the bad record vanished without a count.
    static func isBadRecordKey(_ key: String) -> Bool {
        // A byte scan from the end (checked for every record: no string search).
        let bytes = key.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, case let byte = bytes[bytes.index(before: end)], byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            end = bytes.index(before: end)
        }
        guard end < bytes.endIndex, bytes.distance(from: bytes.startIndex, to: end) >= 5 else { return false }
        let start = bytes.index(end, offsetBy: -5)
        guard bytes[start..<end].elementsEqual("line:".utf8) else { return false }
        return start == bytes.startIndex || bytes[bytes.index(before: start)] == UInt8(ascii: ":")
    }

    /// True when the JSON text holds the escape `\u0000` (a byte scan, no string search).
    /// An escaped backslash is skipped whole: `"\\u0000"` is a backslash and the text
    /// `u0000`, which Postgres stores (it was once refused as a NUL).
    static func containsEscapedNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= 6, let base = bytes.baseAddress,
                  var index = memchr(base, Int32(UInt8(ascii: "\\")), bytes.count).map({ UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base })
            else { return false }  // most records hold no backslash at all
            while index + 1 < bytes.count {
                guard bytes[index] == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                // An escape: a backslash and the character it escapes, `\u` and four hex digits.
                if bytes[index + 1] == UInt8(ascii: "u"), index + 5 < bytes.count, bytes[index + 2] == UInt8(ascii: "0"),
                   bytes[index + 3] == UInt8(ascii: "0"), bytes[index + 4] == UInt8(ascii: "0"), bytes[index + 5] == UInt8(ascii: "0") {
                    return true
                }
                index += 2
            }
            return false
        }
    }
}
