import BatonPostgres

/// One periodic piece of a run's housekeeping (River-style maintenance services): the
/// rescuer, the backlog counter, the cancel watcher, the heartbeats, the stall reaper, the
/// progress reporter.
protocol MaintenanceService: AnyObject, Sendable {
    var name: String { get }
    /// Pause between two steps.
    var interval: Duration { get }
    /// Whether the service has a connection of its own (the heartbeat: a slow count never
    /// delays it).
    var needsOwnConnection: Bool { get }
    /// One round of work.
    func step(_ session: PostgresSession) async throws
    /// Once, when the workers are done (best effort).
    func finish(_ session: PostgresSession) async
}
