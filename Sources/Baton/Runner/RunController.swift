import Synchronization

/// Lets the outside (signal handlers, `baton work`'s slots, tests) stop a run. Thread-safe.
public final class RunController: Sendable {
    /// Why a run was asked to stop.
    public enum StopReason: Int, Sendable {
        /// Not stopped.
        case none = 0
        /// SIGINT: stop claiming, let in-flight items commit, exit 130.
        case interrupt = 1
        /// SIGTERM: same, exit 75.
        case terminate = 2
        /// The run was cancelled from the CLI.
        case cancelled = 3
    }

    private let reason = Atomic<Int>(0)
    private let stopCount = Atomic<Int>(0)
    private let yielded = Atomic<Bool>(false)

    /// A controller nobody has asked to stop yet.
    public init() {}

    /// Asks the run to stop claiming new items. A second request asks it to abandon in-flight
    /// work (their leases are released, so nothing is lost).
    public func requestStop(_ why: StopReason) {
        _ = reason.compareExchange(expected: 0, desired: why.rawValue, ordering: .relaxed)
        stopCount.add(1, ordering: .relaxed)
    }

    /// A first stop request, unless one was made already: never a second one (two parties
    /// turning a yield into a stop at the same moment, `baton cancel` and a signal, do not
    /// abort the run between them).
    public func requestFirstStop(_ why: StopReason) {
        _ = reason.compareExchange(expected: 0, desired: why.rawValue, ordering: .relaxed)
        _ = stopCount.compareExchange(expected: 0, desired: 1, ordering: .relaxed)
    }

    /// Asks the run to give this process's workers up for now (`baton work` handing its slot
    /// to a run that waits): a drain like a first stop request (no new items are claimed,
    /// in-flight items commit), except that the seeder finishes and commits the chunk it is
    /// reading (a chunk cut short would be read again, and one that takes longer than a slot
    /// would never commit). Nothing marks the run stopped: ``stopReason`` stays
    /// ``StopReason/none``, the run stays `running` (or is finished if it is complete), and
    /// any process can go on with it. A later ``requestStop(_:)`` turns it into that stop.
    public func requestYield() {
        yielded.store(true, ordering: .relaxed)
    }

    /// Why the first stop was asked for (``StopReason/none`` if it was not, or only a yield).
    public var stopReason: StopReason { StopReason(rawValue: reason.load(ordering: .relaxed)) ?? .none }
    /// True after a first stop request or a yield: no new items are claimed.
    public var isStopping: Bool { stopCount.load(ordering: .relaxed) > 0 || yielded.load(ordering: .relaxed) }
    /// True after ``requestYield()`` while no stop was requested: the seeder finishes its chunk.
    public var isYielding: Bool { yielded.load(ordering: .relaxed) && stopCount.load(ordering: .relaxed) == 0 }
    /// True after a second stop request.
    public var isAborting: Bool { stopCount.load(ordering: .relaxed) > 1 }
}
