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
            (code, message) = Self.database(error)
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

    /// A database error no layer below handled: its code by what the user can do about it.
    private static func database(_ error: PostgresError) -> (Int32, String) {
        if error.isConnectionError {
            let failure = FailurePolicy.connectionFailure(error)
            return (BatonExit(failure.category).rawValue, failure.message)
        }
        switch error.sqlState ?? "" {
        case "25006":
            return (BatonExit.unavailable.rawValue, "the database is read-only (a standby, or default_transaction_read_only is on): \(error); "
                + "Baton writes its queue there: point --database-url at the primary (libpq's target_session_attrs=read-write picks it)")
        case "42501":
            return (BatonExit.config.rawValue, "the database user lacks a privilege Baton needs: \(error)")
        case let state where state.hasPrefix("53"):
            return (BatonExit.temporary.rawValue, "the database is out of resources: \(error); safe to rerun once it has them")
        default:
            return (BatonExit.software.rawValue, "database error: \(error)")
        }
    }
}
