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
    /// Byte offset of the next line.
    private(set) var offset: Int64 = 0
    /// 1-based number of the line last returned.
    private(set) var lineNumber: Int64 = 0

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
            return
        }
        guard let file = fopen(path, "r") else {
            throw BatonError(.data, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        self.file = file
        gzip = nil
    }

    deinit {
        if let file { fclose(file) }
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

    /// The next line without its line break (and without a trailing `\r`), or nil at the end.
    func next() throws -> String? {
        if let gzip {
            let line: (text: String, length: Int)?
            do {
                line = try gzip.nextLine()
            } catch {
                throw BatonError(.data, "\(path): read error: \(error)")
            }
            guard let line else { return nil }
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
        offset += Int64(length)
        lineNumber += 1
        var count = length
        while count > 0, buffer![count - 1] == 0x0A || buffer![count - 1] == 0x0D { count -= 1 }
        return buffer!.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }
}
