/// How far a run is: what is left to do.
package struct RunProgress: Sendable, Hashable {
    /// Pending items that can be claimed now.
    package var ready: Int
    /// Pending items waiting for their backoff to end.
    package var delayed: Int
    /// Seconds until the earliest delayed item becomes claimable.
    package var nextAvailableIn: Double?
    package var running: Int
    package var seedDone: Bool
    /// Nothing pending, nothing running, source fully seeded.
    package var isComplete: Bool { seedDone && ready == 0 && delayed == 0 && running == 0 }
}
