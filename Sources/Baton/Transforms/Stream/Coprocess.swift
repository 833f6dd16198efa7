import CBatonSpawn
import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One child slot of a stream `exec` stage: a long-lived process fed one item per line,
/// answering one line per item, in order.
///
/// Tasks call ``process(_:)``; the request is queued and a dedicated thread (a
/// ``CoprocessDriver``, started on first use) writes it to the child as soon as fewer than
/// `window` items are unanswered, reads the answers with `poll()`, and resumes the waiting
/// tasks. No blocking call runs on Swift's cooperative pool.
final class Coprocess: Sendable {
    struct Settings: Sendable {
        var command: [String]
        var environment: [String: String]
        var workingDirectory: String?
        var timeout: Duration
        /// Extra time for a new child's first answer.
        var startTimeout: Duration
        var window: Int
        /// The slot's number within its pool (for thread names and logs).
        var slot: Int
    }

    /// One item on its way through the child.
    struct Request {
        let id: UInt64
        let key: String
        /// The item's JSON and a newline.
        let line: [UInt8]
        /// nil once the waiting task was resumed (its task was cancelled).
        var continuation: CheckedContinuation<StageOutput, any Error>?
        /// When the line was handed to the writer.
        var writtenAt: ContinuousClock.Instant = .now
    }

    struct State {
        /// Not yet written, in arrival order.
        var queue: [Request] = []
        /// Written and not yet answered, in the order written (= the order of the answers).
        var inFlight: [Request] = []
        var threadRunning = false
        var stopRequested = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        /// Requests cancelled before they were queued.
        var cancelledEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
        /// Of the latest item: the child's BATON_STAGE and BATON_RUN, and the log's stage name.
        var stage = ""
        var runName = ""
        var logger = Logger(label: "baton.exec")
    }

    let settings: Settings
    let state = Mutex(State())
    /// Wakes the driver's `poll()`: read end, write end (both non-blocking).
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(settings: Settings) {
        self.settings = settings
        var fds: [Int32] = [-1, -1]
        if baton_pipe(&fds, 1) != 0 { fatalError("baton: cannot create a pipe: \(String(cString: strerror(errno)))") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Unanswered and unwritten items: how busy the slot is.
    var load: Int { state.withLock { $0.queue.count + $0.inFlight.count } }

    func setLogger(_ logger: Logger) {
        state.withLock { $0.logger = logger }
    }

    /// Sends the item to the child and waits for its answer.
    func process(_ item: StageInput) async throws -> StageOutput {
        let line = Array(item.payload.utf8) + [UInt8(ascii: "\n")]
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<StageOutput, any Error>) in
                let start = state.withLock { state -> Bool? in
                    if state.cancelledEarly.remove(id) != nil { return nil }
                    state.queue.append(Request(id: id, key: item.key, line: line, continuation: continuation))
                    state.stage = item.stage
                    state.runName = item.runName
                    state.stopRequested = false
                    if state.threadRunning { return false }
                    state.threadRunning = true
                    return true
                }
                switch start {
                case nil: continuation.resume(throwing: CancellationError())
                case true?: startThread()
                case false?: wake()
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<StageOutput, any Error>? in
                if let index = state.queue.firstIndex(where: { $0.id == id }) {
                    return state.queue.remove(at: index).continuation
                }
                if let index = state.inFlight.firstIndex(where: { $0.id == id }) {
                    // Stays in place: the child's answer for it is still to come.
                    defer { state.inFlight[index].continuation = nil }
                    return state.inFlight[index].continuation
                }
                state.cancelledEarly.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Stops the child (end of file on its stdin, then SIGTERM and SIGKILL to its process
    /// group if it does not exit) and waits until it is gone and the thread has ended.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let running = state.withLock { state -> Bool in
                guard state.threadRunning else { return false }
                state.stopRequested = true
                state.stopWaiters.append(continuation)
                return true
            }
            if running { wake() } else { continuation.resume() }
        }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Empties the wake pipe (driver side).
    func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    var wakeDescriptor: Int32 { wakeRead }

    private func startThread() {
        let thread = Thread { [self] in
            CoprocessDriver(coprocess: self).run()
        }
        thread.stackSize = 1 << 20
        thread.name = "baton-exec-\(settings.slot)"
        thread.start()
    }
}
