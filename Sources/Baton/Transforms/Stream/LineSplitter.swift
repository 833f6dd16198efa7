/// Splits a byte stream into lines (`\n`, a trailing `\r` dropped) without holding more than
/// `maxLine` bytes of an unfinished line: longer lines are cut there and flagged.
struct LineSplitter {
    struct Line {
        var bytes: [UInt8]
        /// The line was longer than `maxLine`; `bytes` holds its start.
        var truncated: Bool
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    let maxLine: Int
    private var partial: [UInt8] = []
    private var overflowed = false

    init(maxLine: Int) { self.maxLine = maxLine }

    /// Feeds bytes; `emit` receives every completed line.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Line) -> Void) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                append(bytes[start..<bytes.endIndex])
                return
            }
            append(bytes[start..<newline])
            if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
            emit(Line(bytes: partial, truncated: overflowed))
            partial.removeAll(keepingCapacity: true)
            overflowed = false
            start = newline + 1
        }
    }

    /// What is left of an unfinished last line (at end of stream), if anything.
    mutating func finish() -> Line? {
        defer { reset() }
        return partial.isEmpty && !overflowed ? nil : Line(bytes: partial, truncated: overflowed)
    }

    mutating func reset() {
        partial.removeAll(keepingCapacity: false)
        overflowed = false
    }

    private mutating func append(_ slice: Slice<UnsafeRawBufferPointer>) {
        let room = maxLine - partial.count
        if slice.count > room {
            partial.append(contentsOf: slice.prefix(max(0, room)))
            overflowed = true
        } else {
            partial.append(contentsOf: slice)
        }
    }
}
