import Baton
import Synchronization

/// The runs a `baton work` process works right now, those it skips, and the error that ends
/// them all. Thread-safe.
final class WorkSlots: Sendable {
    private struct State {
        var working: [Int64: RunController] = [:]
        var skipped: Set<Int64> = []
        var fatal: (any Error)?
    }
    private let state = Mutex(State())

    var workingCount: Int { state.withLock { $0.working.count } }
    var fatal: (any Error)? { state.withLock { $0.fatal } }
    func isWorking(_ id: Int64) -> Bool { state.withLock { $0.working[id] != nil } }
    func isSkipped(_ id: Int64) -> Bool { state.withLock { $0.skipped.contains(id) } }
    func start(_ id: Int64, controller: RunController) { state.withLock { $0.working[id] = controller } }
    func finish(_ id: Int64) { _ = state.withLock { $0.working.removeValue(forKey: id) } }
    func skip(_ id: Int64) { _ = state.withLock { $0.skipped.insert(id) } }

    /// Stops every run with `error` (it is thrown once they drained).
    func failAll(_ error: any Error) {
        let controllers = state.withLock { state -> [RunController] in
            if state.fatal == nil { state.fatal = error }
            return Array(state.working.values)
        }
        for controller in controllers where !controller.isStopping { controller.requestStop(.terminate) }
    }

    /// Passes the process's stop requests on to every run (a second one aborts them).
    func forward(_ process: RunController) {
        let controllers = state.withLock { Array($0.working.values) }
        for controller in controllers {
            if process.isStopping && !controller.isStopping { controller.requestStop(process.stopReason) }
            if process.isAborting && !controller.isAborting { controller.requestStop(process.stopReason) }
        }
    }
}
