internal import CZlib
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A gzip file read as its decompressed bytes (zlib's `gzFile`), streamed: only zlib's
/// buffer is in memory, whatever the file's size. Concatenated gzip members are read one
/// after the other, as `gunzip` does.
///
/// Owns its `gzFile` and closes it once. Not `Sendable`: use it from one thread.
public final class GzipReader {
    public let path: String
    private let file: gzFile
    /// Decompressed bytes read so far (or skipped with ``skip(to:)``).
    public private(set) var offset: Int64 = 0

    /// Opens `path` for reading.
    public init(path: String) throws(ZlibError) {
        self.path = path
        guard let file = gzopen(path, "rb") else {
            throw ZlibError(message: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.file = file
        gzbuffer(file, 128 * 1024)
    }

    deinit {
        gzclose(file)
    }

    /// Reads up to `buffer.count` decompressed bytes; 0 at the end of the data.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ZlibError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let count = gzread(file, base, UInt32(min(buffer.count, Int(Int32.max))))
        guard count >= 0 else { throw error() }
        if count == 0 {
            // zlib returns what it has and then 0 for a file cut in the middle of a gzip stream;
            // only gzerror tells it from a complete one (Z_BUF_ERROR).
            var code: Int32 = 0
            _ = gzerror(file, &code)
            if code == Z_BUF_ERROR {
                throw ZlibError(message: "the compressed data ends early (a truncated file, or one still being written) after \(offset) decompressed bytes")
            }
        }
        offset += Int64(count)
        return Int(count)
    }

    /// Continues at decompressed byte `target` (from the start: zlib decompresses and discards
    /// what lies before it).
    public func skip(to target: Int64) throws(ZlibError) {
        gzrewind(file)
        offset = 0
        guard target > 0 else { return }
        let reached = gzseek(file, Int(target), SEEK_SET)
        guard reached == target else {
            throw reached < 0 ? error() : ZlibError(message: "the decompressed data ends at byte \(reached), before byte \(target)")
        }
        offset = target
    }

    private func error() -> ZlibError {
        var code: Int32 = 0
        var message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
        if code == Z_ERRNO { return ZlibError(message: "read error: \(String(cString: strerror(errno)))") }
        // zlib puts the path first; the caller names the file.
        if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
        return ZlibError(message: message.isEmpty ? "corrupt gzip data" : "corrupt gzip data: \(message)")
    }
}
