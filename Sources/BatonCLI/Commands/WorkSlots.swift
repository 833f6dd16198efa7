import Baton
import Synchronization

/// The runs a `baton work` process works right now (one slot each), the running runs that
/// wait for a slot (and their heartbeat rows), those it skips, and the error that ends them
/// all. Thread-safe.
///
/// Fair share by time slices: while a run waits, a run that has held its slot for a slice is
/// asked to yield (``rotate(slice:capacity:)``); once it has drained it goes to the back of
/// the queue, and the slot goes to the run that has waited longest (``queue(_:)``).
final class WorkSlots: Sendable {
    private struct Slot {
        let name: String
        let controller: RunController
        let since: ContinuousClock.Instant
        /// This process seeds the run (it can read the source).
        let seedsHere: Bool
        /// The run has a committed seed chunk (or nothing left to seed). Until then a yield
        /// would throw away the source check and the first chunk, and the next slot would
        /// start them again: a run that seeds here keeps its slot until its first chunk.
        var seedStarted: Bool
        /// Asked to yield its slot to a waiting run.
        var yielding = false

        var canYield: Bool { !yielding && !controller.isStopping && (!seedsHere || seedStarted) }
    }
    private struct State {
        var working: [Int64: Slot] = [:]
        /// Running runs waiting for a slot, with when they began to wait.
        var waiting: [Int64: ContinuousClock.Instant] = [:]
        /// Runs this process leaves alone: until an instant (a stage halted them: their service
        /// looks down), or for ever (nil: it cannot work them).
        var leftAlone: [Int64: ContinuousClock.Instant?] = [:]
        /// Why the first run skipped or set aside was left undone (`--once` ends with it).
        var firstUndone: (any Error)?
        var fatal: (any Error)?
        func isLeftAlone(_ id: Int64) -> Bool { leftAlone.index(forKey: id) != nil }
        /// Waiting runs whose heartbeat row this process keeps, with when it was last beaten.
        var beaten: [Int64: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())

    /// A run asked to give up its slot.
    struct Handover {
        let name: String
        let id: Int64
        /// How long it held its slot.
        let held: Duration
    }

    var workingCount: Int { state.withLock { $0.working.count } }
    var fatal: (any Error)? { state.withLock { $0.fatal } }

    /// Leaves run `id` alone for `cooldown` (a stage halted it): it then queues again.
    func setAside(_ id: Int64, for cooldown: Duration, halt: any Error) {
        state.withLock {
            $0.leftAlone[id] = .now + cooldown
            $0.waiting[id] = nil
            if $0.firstUndone == nil { $0.firstUndone = halt }
        }
    }

    /// Why the first run this process skipped or set aside was left undone (nil: none was).
    var firstUndone: (any Error)? { state.withLock { $0.firstUndone } }

    /// Never works run `id` again (this process cannot: `error` says why).
    func skip(_ id: Int64, because error: any Error) {
        state.withLock {
            if $0.firstUndone == nil { $0.firstUndone = error }
            $0.leftAlone[id] = .some(nil)
            $0.waiting[id] = nil
        }
    }

    /// Takes the running runs (`runs`, oldest first) as the queue stands now: a run seen for
    /// the first time joins it at the back, a run no longer running leaves it. Returns the
    /// runs waiting for a slot, the longest-waiting first.
    func queue(_ runs: [RunRecord]) -> [RunRecord] {
        let now = ContinuousClock.now
        return state.withLock { state in
            let running = Set(runs.map(\.id))
            state.waiting = state.waiting.filter { running.contains($0.key) }
            state.leftAlone = state.leftAlone.filter { _, until in until.map { $0 > now } ?? true }
            for run in runs {
                if state.working[run.id] != nil {
                    if run.seedDone || run.hasSeedProgress { state.working[run.id]?.seedStarted = true }
                } else if !state.isLeftAlone(run.id) && state.waiting[run.id] == nil {
                    state.waiting[run.id] = now
                }
            }
            let order = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.id, $0) })
            return runs.filter { state.waiting[$0.id] != nil }.sorted { a, b in
                (state.waiting[a.id]!, order[a.id]!) < (state.waiting[b.id]!, order[b.id]!)
            }
        }
    }

    /// Gives `run` a slot (it leaves the queue; its engine keeps its heartbeat row).
    func start(_ run: RunRecord, seedsHere: Bool, controller: RunController) {
        state.withLock {
            $0.waiting[run.id] = nil
            $0.beaten[run.id] = nil
            $0.working[run.id] = Slot(name: run.name, controller: controller, since: .now, seedsHere: seedsHere,
                                      seedStarted: run.seedDone || run.hasSeedProgress)
        }
    }

    /// Frees run `id`'s slot. Unless it is skipped, it goes to the back of the queue: a run
    /// that yielded is still running; one that ended leaves the queue at the next look.
    func finish(_ id: Int64) {
        state.withLock {
            $0.working[id] = nil
            if !$0.isLeftAlone(id) { $0.waiting[id] = .now }
        }
    }

    /// The heartbeat rows of the queue: a waiting run keeps one (its engine's row goes when it
    /// yields), so `baton status` shows it attended, not interrupted. Returns the waiting runs
    /// to beat now (not beaten for `every`), and the runs whose row is to go (they left the
    /// queue without a slot: they ended, or are skipped).
    func queueBeats(every: Duration) -> (beat: [Int64], remove: [Int64]) {
        let now = ContinuousClock.now
        return state.withLock { state in
            let remove = state.beaten.keys.filter { state.waiting[$0] == nil && state.working[$0] == nil }
            for id in remove { state.beaten[id] = nil }
            let beat = state.waiting.keys.filter { id in state.beaten[id].map { now - $0 >= every } ?? true }
            for id in beat { state.beaten[id] = now }
            return (beat.sorted(), remove.sorted())
        }
    }

    /// True when a waiting run's heartbeat row is due (see ``queueBeats(every:)``).
    func isQueueBeatDue(every: Duration) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.waiting.keys.contains { id in state.beaten[id].map { now - $0 >= every } ?? true }
        }
    }

    /// Forgets every heartbeat row of the queue (this process stops): returns their runs.
    func endQueueBeats() -> [Int64] {
        state.withLock { state in
            defer { state.beaten = [:] }
            return state.beaten.keys.sorted()
        }
    }

    /// True when a slot is free and a run waits for one.
    func hasFreeSlotForWaiter(capacity: Int) -> Bool {
        state.withLock { !$0.waiting.isEmpty && $0.working.count < capacity }
    }

    /// While runs wait and no slot is free or freeing, asks as many runs as wait (at most)
    /// that have held their slot for `slice` or longer to yield it, those that have held it
    /// longest first. Returns them.
    func rotate(slice: Duration, capacity: Int) -> [Handover] {
        let now = ContinuousClock.now
        let chosen = state.withLock { state -> [(Handover, RunController)] in
            let freeing = max(0, capacity - state.working.count) + state.working.values.filter(\.yielding).count
            let wanted = state.waiting.count - freeing
            guard wanted > 0 else { return [] }
            let due = state.working.filter { $0.value.canYield && now - $0.value.since >= slice }
                .sorted { ($0.value.since, $0.key) < ($1.value.since, $1.key) }
                .prefix(wanted)
            return due.map { id, slot in
                state.working[id]?.yielding = true
                return (Handover(name: slot.name, id: id, held: now - slot.since), slot.controller)
            }
        }
        for (_, controller) in chosen { controller.requestYield() }
        return chosen.map(\.0)
    }

    /// Stops every run with `error` (it is thrown once they drained).
    func failAll(_ error: any Error) {
        let controllers = state.withLock { state -> [RunController] in
            if state.fatal == nil { state.fatal = error }
            return state.working.values.map(\.controller)
        }
        for controller in controllers where !controller.isStopping || controller.isYielding { controller.requestFirstStop(.terminate) }
    }

    /// Passes the process's stop requests on to every run, yielding ones too (a second one
    /// aborts them).
    func forward(_ process: RunController) {
        let controllers = state.withLock { $0.working.values.map(\.controller) }
        for controller in controllers {
            if process.isStopping && (!controller.isStopping || controller.isYielding) { controller.requestFirstStop(process.stopReason) }
            if process.isAborting && !controller.isAborting { controller.requestStop(process.stopReason) }
        }
    }
}
