import Synchronization

/// Lets the outside (signal handlers, tests) stop a run. Thread-safe.
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

    /// A controller nobody has asked to stop yet.
    public init() {}

    /// Asks the run to stop claiming new items. A second request asks it to abandon in-flight
    /// work (their leases are released, so nothing is lost).
    public func requestStop(_ why: StopReason) {
        _ = reason.compareExchange(expected: 0, desired: why.rawValue, ordering: .relaxed)
        stopCount.add(1, ordering: .relaxed)
    }

    /// Why the first stop was asked for (``StopReason/none`` if it was not).
    public var stopReason: StopReason { StopReason(rawValue: reason.load(ordering: .relaxed)) ?? .none }
    /// True after a first stop request: no new items are claimed.
    public var isStopping: Bool { stopCount.load(ordering: .relaxed) > 0 }
    /// True after a second stop request.
    public var isAborting: Bool { stopCount.load(ordering: .relaxed) > 1 }
}
