/// Which client waits have lasted long enough to end: a session seen waiting with the same
/// signature for at least `patience` is stalled. Pure; fed one sighting after another.
package struct StallTracker {
    package let patience: Duration
    private var firstSeen: [StalledSession: ContinuousClock.Instant] = [:]

    package init(patience: Duration) { self.patience = patience }

    /// Records what was seen at `now`; returns the sessions stalled for `patience` or more.
    package mutating func observe(_ sessions: [StalledSession], at now: ContinuousClock.Instant) -> [StalledSession] {
        var next: [StalledSession: ContinuousClock.Instant] = [:]
        for session in sessions { next[session] = firstSeen[session] ?? now }
        firstSeen = next
        return sessions.filter { now - next[$0]! >= patience }
    }

    package mutating func forget(_ session: StalledSession) { firstSeen.removeValue(forKey: session) }
}
