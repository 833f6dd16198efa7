/// What sits between Baton and Postgres.
///
/// Behind a pooler in **transaction** mode (PgBouncer `pool_mode = transaction`, also
/// PgBouncer 1.18, which has no prepared-statement support), consecutive transactions of one
/// client connection may run on different server connections, so a connection keeps no
/// session state: statements are sent unnamed (never prepared by name), session settings are
/// applied inside each transaction (`SET LOCAL`, ``Connection/transaction(_:)`` and pipelines),
/// and nothing relies on `LISTEN` or session advisory locks.
public enum PoolerMode: String, Sendable, Hashable, CaseIterable {
    /// Detect a pooler on each connection: a pooler answers the startup with a cancel key of
    /// its own, so the backend process id libpq was given differs from `pg_backend_pid()`.
    /// Any pooler found is treated as a transaction pooler (the safe choice).
    case auto
    /// A direct connection to Postgres.
    case none
    /// A pooler in session mode: one server connection per client connection, so session
    /// state works.
    case session
    /// A pooler in transaction mode: no session state.
    case transaction
}
