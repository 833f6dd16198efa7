import BatonJQ
import Foundation

/// What a run's source resolved to when the run started: the kind, where it is (an absolute
/// path, or the query), how big it was and a hash of its content. Stored with the run
/// (`baton.runs.source_identity`), so that `baton run FILE --run NAME` never mixes two
/// sources into one run, and a resume can say that the file changed under it.
package struct SourceIdentity: Sendable, Hashable {
    /// `jsonl`, `csv`, `sql`, `items`.
    package var kind: String
    /// The absolute path of a file source; nil for a query or inline items.
    package var path: String?
    /// Bytes of a file; items of an inline list; characters of a query.
    package var size: Int64
    /// A hash of the content: the whole file, the query text and its database, the items.
    package var hash: String

    package init(kind: String, path: String? = nil, size: Int64, hash: String) {
        self.kind = kind
        self.path = path
        self.size = size
        self.hash = hash
    }

    /// As stored (a JSON object).
    package var json: String {
        JSON.object([
            ("kind", .string(kind)), ("path", path.map(JSON.string) ?? .null),
            ("size", .number(Double(size))), ("hash", .string(hash)),
        ]).serialized
    }

    /// Reads the stored form; nil for anything else.
    package init?(json text: String?) {
        guard let text, let value = try? JSON(parsing: text), let kind = value["kind"]?.stringValue,
              let hash = value["hash"]?.stringValue, let size = value["size"]?.doubleValue else { return nil }
        self.init(kind: kind, path: value["path"]?.stringValue, size: Int64(size), hash: hash)
    }

    /// For messages: `the jsonl file /data/a.jsonl (1204 bytes)`, `the source query`.
    package var described: String {
        switch kind {
        case "jsonl", "csv": return "the \(kind) file \(path ?? "?") (\(size) bytes)"
        case "sql": return "the source query"
        case "files": return "the files \(path ?? "?")"
        case "http": return "the http source"
        case "items": return "the \(size) inline item\(size == 1 ? "" : "s")"
        default: return "a \(kind) source"
        }
    }

    /// How `now` differs from `self` (the identity the run started with), for messages;
    /// nil when they are the same source.
    package func difference(to now: SourceIdentity) -> String? {
        if self == now { return nil }
        if kind != now.kind { return "the run read \(described); the pipeline's source is now \(now.described)" }
        if path != now.path { return "the run read \(described); the source is now \(now.described)" }
        switch kind {
        case "jsonl", "csv":
            return size == now.size
                ? "\(path ?? "the file") has other content than when the run started (same size, \(size) bytes)"
                : "\(path ?? "the file") has changed since the run started (\(size) bytes then, \(now.size) now)"
        case "sql": return "the source query (or its database) is not the one the run started with"
        case "http": return "the http source's request is not the one the run started with"
        default: return "the inline items are not the ones the run started with"
        }
    }

    // MARK: Hashing

    /// A file's identity: its size and a 64-bit FNV-1a hash of all of its bytes, read in
    /// 1 MiB blocks (about 0.05 s for 100 MB in a release build, 0.8 s in a debug build).
    package static func ofFile(kind: String, path: String) throws -> SourceIdentity {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BatonError(.data, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var size: Int64 = 0
        while true {
            let block = try handle.read(upToCount: 1 << 20) ?? Data()
            if block.isEmpty { break }
            size += Int64(block.count)
            block.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let words = raw.count / 8
                for index in 0..<words {
                    hash ^= raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                    hash = hash &* 0x0000_0100_0000_01b3
                }
                for index in (words * 8)..<raw.count {
                    hash ^= UInt64(raw[index])
                    hash = hash &* 0x0000_0100_0000_01b3
                }
            }
        }
        return SourceIdentity(kind: kind, path: path, size: size, hash: StableHash.hex64(hash))
    }
}
