import BatonZlib

/// Lines of a gzip file: decompressed in blocks, split at line feeds.
final class GzipLineSource {
    private let reader: GzipReader
    private var pending: [UInt8] = []
    private var start = 0
    private var atEnd = false

    init(_ reader: GzipReader) { self.reader = reader }

    func skip(to offset: Int64) throws {
        try reader.skip(to: offset)
        pending.removeAll(keepingCapacity: true)
        start = 0
        atEnd = false
    }

    /// The next line without its line break (and the `\r`s before it), with its length in
    /// bytes including the break, and the break as it was; nil at the end.
    func nextLine() throws -> (text: String, length: Int, lineBreak: String)? {
        while true {
            if let newline = pending[start...].firstIndex(of: 0x0A) {
                let (line, lineBreak) = text(start..<newline + 1)
                let length = newline + 1 - start
                start = newline + 1
                return (line, length, lineBreak)
            }
            if atEnd {
                guard start < pending.count else { return nil }
                let (line, lineBreak) = text(start..<pending.count)
                let length = pending.count - start
                start = pending.count
                return (line, length, lineBreak)
            }
            if start > 0 {
                pending.removeFirst(start)
                start = 0
            }
            let old = pending.count
            pending.append(contentsOf: repeatElement(0, count: 256 * 1024))
            let count = try pending.withUnsafeMutableBytes { bytes in
                try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[old...]))
            }
            pending.removeLast(256 * 1024 - count)
            if count == 0 { atEnd = true }
        }
    }

    private func text(_ range: Range<Int>) -> (String, String) {
        var end = range.upperBound
        while end > range.lowerBound, pending[end - 1] == 0x0A || pending[end - 1] == 0x0D { end -= 1 }
        return (String(decoding: pending[range.lowerBound..<end], as: UTF8.self),
                String(decoding: pending[end..<range.upperBound], as: UTF8.self))
    }
}
