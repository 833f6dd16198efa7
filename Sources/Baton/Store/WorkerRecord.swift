package import Foundation

/// A process working a run, as its heartbeat row says.
package struct WorkerRecord: Sendable, Hashable {
    /// `host:pid`, the prefix of `leased_by` on the items it holds.
    package var name: String
    package var runID: Int64?
    package var pid: Int
    package var host: String
    package var startedAt: Date
    /// Seconds since its last heartbeat.
    package var secondsSinceSeen: Double
    /// Items of the run it holds (state `running`, leased by it).
    package var heldItems: Int

    /// Whether it has beaten recently enough to be taken as alive.
    package var isAlive: Bool { secondsSinceSeen <= Store.workerTimeoutSeconds }
}
