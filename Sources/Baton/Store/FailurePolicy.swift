import BatonJQ
package import BatonPostgres

/// How Baton treats an error of the database or of a transform: the one SQLSTATE table.
package enum FailurePolicy {
    /// What to do about a database error.
    package enum Treatment: Equatable, Sendable {
        /// The connection is gone (or the server is restarting): reconnect and redo the work.
        case reconnect
        /// Lost a race with another transaction (deadlock, serialization, lock timeout): run
        /// the same transaction again.
        case conflict
        /// Worth another attempt of the item later (cancelled statement, server out of resources).
        case transient
        /// The item's data or statement is wrong: retrying changes nothing.
        case permanent
    }

    /// SQLSTATE classes whose errors are the data's or the statement's fault.
    private static let permanentClasses: Set<String> = ["22", "23", "42", "2B", "21", "0A", "P0", "44", "2F", "39", "3F"]
    private static let conflicts: Set<String> = ["40P01", "40001", "55P03"]
    private static let transients: Set<String> = ["57014", "53100", "53200", "53300", "53400"]

    package static func treatment(of error: PostgresError) -> Treatment { databaseTreatment(error) }

    private static func databaseTreatment(_ error: PostgresError) -> Treatment {
        if error.isConnectionError { return .reconnect }
        let state = error.sqlState ?? ""
        if conflicts.contains(state) { return .conflict }
        if transients.contains(state) { return .transient }
        if permanentClasses.contains(String(state.prefix(2))) { return .permanent }
        return .transient
    }

    /// The treatment of any error met while committing (a pipeline's failure included).
    package static func treatment(of error: any Error) -> Treatment? {
        switch error {
        case let failure as PipelineFailure: return databaseTreatment(failure.error)
        case let error as PostgresError: return databaseTreatment(error)
        default: return nil
        }
    }

    /// A connection that could not be opened, as the error a command ends with: a database
    /// URL libpq refuses (an unknown option, a bad value) is the configuration's fault (exit
    /// 78, at once), anything else the database's (69).
    package static func connectionFailure(_ error: PostgresError) -> BatonError {
        if isRefusedURL(error) { return BatonError(.config, "the database URL is not valid: \(error)") }
        return BatonError(.unavailable, "database unavailable: \(error)")
    }

    /// True when libpq refused the connection string itself (retrying cannot help).
    package static func isRefusedURL(_ error: PostgresError) -> Bool {
        let refused = ["invalid connection option", "invalid URI query parameter", "invalid sslmode value", "missing \"=\" after",
                       "invalid integer value", "invalid port number", "unterminated quoted string", "invalid percent-encoded token",
                       "invalid channel_binding value", "invalid target_session_attrs value", "invalid gssencmode value"]
        return error.code == .connectionFailed && refused.contains { error.message.contains($0) }
    }

    /// True when the connection is gone and the work must be redone on a new one.
    package static func needsReconnect(_ error: any Error) -> Bool { treatment(of: error) == .reconnect }

    /// An error as an item failure: constraint violations, bad data and bad SQL are
    /// permanent; cancelled statements and exhausted resources are transient.
    package static func classify(_ error: any Error) -> StageError {
        switch error {
        case let error as StageError:
            return error
        case let error as JQError:
            return .permanent(error.description, class: "jq")
        case let failure as PipelineFailure:
            return classify(failure.error)
        case let error as PostgresError:
            let state = error.sqlState ?? ""
            var message = "SQL effect failed: \(error.message)"
            if let detail = error.detail, !detail.isEmpty { message += " (\(detail))" }
            return StageError(isPermanent: databaseTreatment(error) == .permanent, errorClass: "sqlstate \(state.isEmpty ? "?" : state)",
                              message: message)
        default:
            return .transient(String(describing: error), class: "error")
        }
    }
}
