import ArgumentParser
import Baton

/// Every exit code `baton` uses, with its meaning: the one table (sysexits family). The help
/// text, the run summary and the README's "Exit codes" table are derived from or checked
/// against it.
enum BatonExit: Int32, CaseIterable, Sendable {
    case success = 0
    case failedItems = 1
    case notRunning = 3
    case usage = 64
    case data = 65
    case unavailable = 69
    case software = 70
    case temporary = 75
    case config = 78
    case interrupted = 130

    var meaning: String {
        switch self {
        case .success: return "all items done or skipped"
        case .failedItems: return "the run finished with failed items (see `baton failures`), or was cancelled"
        case .notRunning: return "`baton postgres status`: the local Postgres is not running"
        case .usage: return "usage error"
        case .data: return "bad input data"
        case .unavailable: return "database or service unavailable"
        case .software: return "internal error"
        case .temporary: return "stopped before the end; safe to rerun (`baton resume`)"
        case .config: return "pipeline configuration error"
        case .interrupted: return "interrupted; resume with `baton resume`"
        }
    }

    /// The code of a process stopped by a signal before its work was done: 130 for SIGINT,
    /// 75 for SIGTERM (`baton run`, `baton resume`, `baton work --once`).
    init(stoppedBy reason: RunController.StopReason) {
        self = reason == .interrupt ? .interrupted : .temporary
    }

    /// The code for an engine error category.
    init(_ category: BatonError.Category) {
        switch category {
        case .usage: self = .usage
        case .data: self = .data
        case .unavailable: self = .unavailable
        case .temporary: self = .temporary
        case .config: self = .config
        default: self = .software
        }
    }

    /// The meaning of any code, including ones the table does not know.
    static func meaning(of code: Int32) -> String {
        BatonExit(rawValue: code)?.meaning ?? "error"
    }

    /// One line per code, for `baton --help`.
    static var helpText: String {
        allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ")
    }
}
