import Foundation
internal import CLibPQ

/// Connections behind a transaction pooler (PgBouncer `pool_mode = transaction`): each
/// transaction may run on another server connection, so nothing may live in the session.
/// Statements go unnamed (``Connection/preparedName(for:until:)`` returns nil), and the
/// session settings (``ConnectionConfig/sessionSettings``) are applied to each transaction:
/// `SET LOCAL` after the `BEGIN` of ``Connection/transaction(_:)`` and of pipelines that open
/// one, `set_config(…, true)` at the head of a pipeline that runs as one implicit transaction.
extension Connection {
    /// Whether this connection should keep no session state.
    func isBehindTransactionPooler(_ mode: PoolerMode) throws -> Bool {
        switch mode {
        case .transaction: return true
        case .none, .session: return false
        case .auto:
            // A pooler answers the startup with a cancel key of its own: the process id libpq
            // holds is then not the server process's.
            let pid = try execute("SELECT pg_backend_pid()").rows.first.map { try $0.decode(Int32.self, 0) }
            return pid != nil && pid != backendPID
        }
    }

    /// `'text'` with quotes doubled (for the few statements that cannot bind a parameter).
    static func quoteLiteral(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// The statement that opens a transaction: `BEGIN`, and behind a transaction pooler the
    /// session settings as `SET LOCAL` in the same round trip.
    var beginStatement: String {
        (["BEGIN"] + transactionSettings.map { "SET LOCAL \($0.0) = \(Connection.quoteLiteral($0.1))" }).joined(separator: "; ")
    }

    /// Behind a transaction pooler: where the settings go into a pipeline (after its `BEGIN`,
    /// or first when the pipeline is an implicit transaction of its own), and the statement
    /// that applies them. Nil when nothing is to be added.
    func settingsStatement(for statements: [PipelineStatement]) -> (index: Int, statement: PipelineStatement)? {
        guard !transactionSettings.isEmpty else { return nil }
        let calls = transactionSettings.indices.map { "set_config($\(2 * $0 + 1), $\(2 * $0 + 2), true)" }.joined(separator: ", ")
        let statement = PipelineStatement("SELECT \(calls)", transactionSettings.flatMap { [$0.0, $0.1] })
        if let begin = statements.firstIndex(where: { $0.sql.trimmingCharacters(in: .whitespaces).uppercased() == "BEGIN" }) {
            return (begin + 1, statement)
        }
        return transactionStatus == .idle ? (0, statement) : nil
    }
}
