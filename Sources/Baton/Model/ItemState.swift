/// The states of an item and the transitions between them (DESIGN §2). Pure: the next state
/// is decided here (``CommitPlan``, the rescuer) and the store only writes it, so the rules
/// tested against this type are the ones that run.
package enum ItemState: String, Sendable, CaseIterable {
    case pending, running, done, failed, skipped, cancelled

    /// Whether an item in this state will not be worked on again without a replay.
    package var isFinal: Bool {
        switch self {
        case .done, .failed, .skipped, .cancelled: return true
        case .pending, .running: return false
        }
    }

    /// What happens to an item.
    package enum Event: Sendable, Equatable {
        /// A worker claims it (takes a lease).
        case claim
        /// The fenced commit of its outputs; `produced` false means it was filtered out.
        case complete(produced: Bool)
        /// The transform failed.
        case fail(permanent: Bool, attempt: Int, maxAttempts: Int)
        /// Its lease expired (the worker died or stalled).
        case leaseExpired(attempt: Int, maxAttempts: Int)
        /// A replay puts it back in the queue.
        case replay
        /// The run is cancelled.
        case cancel
    }

    /// The next state, or nil when the event is not allowed in this state.
    package func applying(_ event: Event) -> ItemState? {
        switch (self, event) {
        case (.pending, .claim): return .running
        case (.running, .complete(let produced)): return produced ? .done : .skipped
        case (.running, .fail(let permanent, let attempt, let maxAttempts)):
            return permanent || attempt >= maxAttempts ? .failed : .pending
        case (.running, .leaseExpired(let attempt, let maxAttempts)):
            return attempt >= maxAttempts ? .failed : .pending
        case (.failed, .replay), (.done, .replay), (.skipped, .replay), (.cancelled, .replay): return .pending
        case (.pending, .cancel): return .cancelled
        default: return nil
        }
    }
}
