import ArgumentParser
import Baton
import BatonJQ
import BatonPostgres

/// The one function that turns errors into exit codes (the codes are in ``BatonExit``).
struct ExitStatus {
    var code: Int32
    var message: String

    /// nil for errors ArgumentParser prints itself (help, usage).
    init?(_ error: any Error) {
        switch error {
        case let error as BatonError:
            code = BatonExit(error.category).rawValue
            message = error.message
        case let error as PipelineErrors:
            code = BatonExit.config.rawValue
            message = "\(error.errors.count == 1 ? "1 error" : "\(error.errors.count) errors") in the pipeline:\n\(error)"
        case let error as PipelineError:
            code = BatonExit.config.rawValue
            message = error.description
        case let error as PostgresError:
            code = (error.isConnectionError ? BatonExit.unavailable : .software).rawValue
            message = error.isConnectionError ? "database unavailable: \(error)" : "database error: \(error)"
        case let error as JQError:
            code = BatonExit.config.rawValue
            message = error.description
        case let exit as ExitCode:
            code = exit.rawValue
            message = ""
        case is CancellationError:
            code = BatonExit.interrupted.rawValue
            message = "interrupted"
        default:
            return nil
        }
    }
}
