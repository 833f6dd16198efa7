import BatonZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file line by line with byte offsets, so a reader can stop and later resume at a
/// line boundary. Owns its `FILE*` and closes it once. A file whose name ends in `.gz` is
/// decompressed while it is read (``GzipLineSource``); its offsets count decompressed bytes.
final class LineReader {
    let path: String
    private let file: UnsafeMutablePointer<FILE>?
    private let gzip: GzipLineSource?
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// False for a `FILE*` that belongs to someone else.
    private let ownsFile: Bool
    /// Byte offset of the next line.
    private(set) var offset: Int64 = 0
    /// 1-based number of the line last returned.
    private(set) var lineNumber: Int64 = 0
    /// The line break the last line ended with, as it was in the file (`\n`, `\r\n`, or the
    /// `\r`s a quoted CSV field holds before it; empty at the end of the file).
    private(set) var lineBreak = ""

    /// Whether a path names a gzip file (read decompressed).
    static func isGzip(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    init(path: String) throws {
        self.path = path
        if LineReader.isGzip(path) {
            do {
                gzip = GzipLineSource(try GzipReader(path: path))
            } catch {
                throw BatonError(.data, "\(path): cannot open: \(error)")
            }
            file = nil
            ownsFile = true
            return
        }
        guard let file = fopen(path, "r") else {
            throw BatonError(.data, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        self.file = file
        ownsFile = true
        gzip = nil
    }

    /// Reads an open file from its current position; the caller keeps it (and closes it).
    init(file: UnsafeMutablePointer<FILE>, path: String) throws {
        self.path = path
        self.file = file
        ownsFile = false
        gzip = nil
    }

    deinit {
        if let file, ownsFile { fclose(file) }
        free(buffer)
    }

    /// Continues at a byte offset that is the start of line `line + 1`.
    func seek(offset: Int64, line: Int64) throws {
        if let gzip {
            do {
                try gzip.skip(to: offset)
            } catch {
                throw BatonError(.data, "\(path): cannot continue at decompressed byte \(offset): \(error)")
            }
        } else if let file {
            guard fseeko(file, off_t(offset), SEEK_SET) == 0 else {
                throw BatonError(.data, "\(path): cannot seek to byte \(offset): \(String(cString: strerror(errno)))")
            }
        }
        self.offset = offset
        self.lineNumber = line
    }

    /// For the line last returned: the 0-based byte offset (within the line) of its first byte
    /// that is not valid UTF-8, nil when it is valid. Such a line's text has U+FFFD in its place:
    /// readers report it as a bad record instead of silently passing the change on.
    private(set) var invalidUTF8Offset: Int?
    /// Byte offset in the file of the line last returned.
    private(set) var lineStart: Int64 = 0

    /// "invalid UTF-8 at byte 5 of line 3 (byte 1042 of the file)" for the line last returned.
    var invalidUTF8Description: String? {
        invalidUTF8Offset.map { "invalid UTF-8 at byte \($0 + 1) of line \(lineNumber) (byte offset \(lineStart + Int64($0)) in the file)" }
    }

    /// The next line without its line break (and without a trailing `\r`), or nil at the end.
    func next() throws -> String? {
        if let gzip {
            let line: (text: String, length: Int, lineBreak: String)?
            do {
                line = try gzip.nextLine()
            } catch {
                throw BatonError(.data, "\(path): read error: \(error)")
            }
            guard let line else { return nil }
            lineBreak = line.lineBreak
            lineStart = offset
            invalidUTF8Offset = nil
            offset += Int64(line.length)
            lineNumber += 1
            return line.text
        }
        var cap = capacity
        let length = getline(&buffer, &cap, file!)
        capacity = cap
        if length < 0 {
            if ferror(file!) != 0 { throw BatonError(.data, "\(path): read error: \(String(cString: strerror(errno)))") }
            return nil
        }
        lineStart = offset
        offset += Int64(length)
        lineNumber += 1
        var count = length
        while count > 0, buffer![count - 1] == 0x0A || buffer![count - 1] == 0x0D { count -= 1 }
        lineBreak = buffer!.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0 + count, count: length - count), as: UTF8.self)
        }
        return buffer!.withMemoryRebound(to: UInt8.self, capacity: count) {
            let bytes = UnsafeBufferPointer(start: $0, count: count)
            invalidUTF8Offset = LineReader.firstInvalidUTF8(bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence.
    /// The offset of the first byte of `bytes` that is not UTF-8; nil when every byte is.
    /// Text from a file, a response or a child is checked so: decoded leniently, a bad byte
    /// would become U+FFFD and the data would change without a word.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidUTF8($0) }
    }

    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var minimum: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; minimum = 0x80
            case 0xE0...0xEF: length = 3; minimum = 0x800
            case 0xF0...0xF4: length = 4; minimum = 0x10000
            default: return i
            }
            guard i + length <= n else { return i }
            var scalar = UInt32(b) & (0xFF >> (length + 1))
            for k in 1..<length {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            minimum = 0
            i += length
        }
        return nil
    }
}
