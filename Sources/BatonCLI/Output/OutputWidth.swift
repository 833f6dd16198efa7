import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How wide tables on stdout may be: the terminal's width when stdout is a terminal, else
/// 80 columns (`--wide`: no limit).
enum OutputWidth {
    static func limit(wide: Bool) -> Int? {
        guard !wide else { return nil }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns >= 20 { return columns }
        if isatty(STDOUT_FILENO) == 1 {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 20 { return Int(size.ws_col) }
        }
        return 80
    }
}
