import ArgumentParser
import Baton
import BatonJQ
import BatonPostgres

/// The one place where errors become exit codes (sysexits family, README "Exit codes"):
/// 0 all items done or skipped; 1 the run finished with failed items; 64 usage; 65 bad input
/// data; 69 database or service unavailable; 70 internal error; 75 temporary failure, safe to
/// rerun; 78 pipeline configuration error; 130 interrupted by SIGINT.
struct ExitStatus {
    var code: Int32
    var message: String

    /// nil for errors ArgumentParser prints itself (help, usage).
    init?(_ error: any Error) {
        switch error {
        case let error as BatonError:
            code = error.category.exitCode
            message = error.message
        case let error as PipelineErrors:
            code = 78
            message = "\(error.errors.count == 1 ? "1 error" : "\(error.errors.count) errors") in the pipeline:\n\(error)"
        case let error as PipelineError:
            code = 78
            message = error.description
        case let error as PostgresError:
            code = error.isConnectionError ? 69 : 70
            message = error.isConnectionError ? "database unavailable: \(error)" : "database error: \(error)"
        case let error as JQError:
            code = 78
            message = error.description
        case let exit as ExitCode:
            code = exit.rawValue
            message = ""
        case is CancellationError:
            code = 130
            message = "interrupted"
        default:
            return nil
        }
    }

    static func meaning(of code: Int32) -> String {
        switch code {
        case 0: return "all items done or skipped"
        case 1: return "the run finished with failed items (see `baton failures`), or was cancelled"
        case 64: return "usage error"
        case 65: return "bad input data"
        case 69: return "database or service unavailable"
        case 75: return "stopped before the end; safe to rerun (`baton resume`)"
        case 78: return "pipeline configuration error"
        case 130: return "interrupted; resume with `baton resume`"
        default: return "error"
        }
    }
}
