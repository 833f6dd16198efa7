import Foundation
import Synchronization

/// Everything Baton writes to stderr goes through here, so that messages and the live
/// progress block on a terminal never overwrite each other: before a message is written,
/// a drawn block is erased (the next progress tick draws it again below the message), so
/// no stale progress line is left behind (Ctrl-C's notice, a warning, the final error).
enum StderrStream {
    /// Lines of the progress block now on the screen (0: none).
    private static let drawn = Mutex(0)

    /// Writes `text` (one or more whole lines), erasing the progress block first.
    static func write(_ text: String) {
        drawn.withLock { lines in
            FileHandle.standardError.write(Data((erase(&lines) + text).utf8))
        }
    }

    /// Draws the progress block in place of the one on the screen.
    static func draw(block: [String]) {
        drawn.withLock { lines in
            var out = lines > 0 ? "\u{1B}[\(lines)A" : ""
            for line in block { out += "\u{1B}[2K" + line + "\n" }
            lines = block.count
            FileHandle.standardError.write(Data(out.utf8))
        }
    }

    /// Erases the progress block, leaving the cursor where it started.
    static func clearBlock() {
        drawn.withLock { lines in
            let out = erase(&lines)
            if !out.isEmpty { FileHandle.standardError.write(Data(out.utf8)) }
        }
    }

    /// Escape codes that blank the drawn lines and move back up over them.
    private static func erase(_ lines: inout Int) -> String {
        guard lines > 0 else { return "" }
        var out = "\u{1B}[\(lines)A"
        for _ in 0..<lines { out += "\u{1B}[2K\n" }
        out += "\u{1B}[\(lines)A"
        lines = 0
        return out
    }
}
