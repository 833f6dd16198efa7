import Foundation
import Synchronization

/// Idle workers' alarm clock: ``wait(upTo:)`` returns after the duration or as soon as
/// ``signal()`` is called, whichever comes first (the LISTEN/NOTIFY wake-up, with the
/// poll interval as the fallback).
final class Wakeup: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters that were done before their continuation was registered.
        var abandoned: Set<UInt64> = []
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Wakes every waiting worker.
    func signal() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Sleeps up to `duration`, less when signalled. Throws `CancellationError` when the
    /// task is cancelled (like `Task.sleep`).
    func wait(upTo duration: Duration) async throws {
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.abandoned.remove(id) != nil { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            // Whichever did not finish: the sleep ends on cancellation; the continuation is
            // resumed here (or, if not registered yet, as soon as it is).
            let pending = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let continuation = state.waiters.removeValue(forKey: id) { return continuation }
                state.abandoned.insert(id)
                return nil
            }
            pending?.resume()
            await group.waitForAll()
            // A signal resumed it: nothing abandoned to remember.
            _ = state.withLock { $0.abandoned.remove(id) }
        }
        try Task.checkCancellation()
    }
}
