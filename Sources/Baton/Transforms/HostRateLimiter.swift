import Synchronization

/// Requests per second per host, shared by every `http` stage and worker of the process:
/// each request reserves the next free slot of its host and waits for it.
enum HostRateLimiter {
    private static let nextSlot = Mutex<[String: ContinuousClock.Instant]>([:])

    static func wait(host: String, perSecond rate: Double) async throws {
        guard rate > 0 else { return }
        let interval = Duration.seconds(1 / rate)
        let now = ContinuousClock.now
        let slot = nextSlot.withLock { slots -> ContinuousClock.Instant in
            let slot = max(now, slots[host] ?? now)
            slots[host] = slot + interval
            return slot
        }
        if slot > now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}
