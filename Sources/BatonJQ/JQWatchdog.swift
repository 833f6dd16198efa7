internal import CJQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Stops jq programs that run too long or make the process too big.
///
/// A jq program cannot be interrupted from inside: `def f: f; f` never returns from
/// `jq_next`. libjq's own `halt` flag is checked by its interpreter loop at every step, so a
/// thread of ours sets it (`jq_halt`) on a program that passed its deadline, that runs while
/// the process is over its memory limit, or when everything must stop (`haltAll()`, the
/// second signal). The program then returns at its next step and ``JQProgram`` reports why.
///
/// `@unchecked Sendable`: `runs` is touched only under `lock`; a run's `jq_state` is halted
/// only while its run is registered (the running thread unregisters it under the same lock
/// before touching the state again).
package final class JQWatchdog: @unchecked Sendable {
    package static let shared = JQWatchdog()

    /// Why a run was stopped.
    package enum Reason: Sendable, Equatable {
        case deadline(Duration)
        case memory(Int)
        case stopped
    }

    final class Run {
        let state: OpaquePointer
        let started: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        let timeout: Duration
        var reason: Reason?
        init(state: OpaquePointer, timeout: Duration) {
            self.state = state
            started = .now
            self.timeout = timeout
            deadline = started + timeout
        }
    }

    private let lock = NSLock()
    private var runs: [ObjectIdentifier: Run] = [:]
    private var thread: Thread?
    private var stopping = false
    /// The process's resident memory above which the longest-running program is stopped.
    package var memoryLimit: Int {
        get { lock.withLock { limit } }
        set { lock.withLock { limit = newValue } }
    }
    private var limit = 1 << 30

    private init() {}

    func register(_ state: OpaquePointer, timeout: Duration) -> Run {
        let run = Run(state: state, timeout: timeout)
        lock.withLock {
            runs[ObjectIdentifier(run)] = run
            if stopping { halt(run, .stopped) }
            if thread == nil {
                let thread = Thread { [unowned self] in self.watch() }
                thread.name = "baton-jq-watch"
                thread.stackSize = 256 << 10
                self.thread = thread
                thread.start()
            }
        }
        return run
    }

    /// Moves a run's deadline later: time spent outside the program (handling its outputs)
    /// does not count against it.
    func extend(_ run: Run, by duration: Duration) {
        lock.withLock { run.deadline = run.deadline + duration }
    }

    /// Unregisters a finished run; returns why it was halted, if it was.
    func unregister(_ run: Run) -> Reason? {
        lock.withLock {
            runs[ObjectIdentifier(run)] = nil
            return run.reason
        }
    }

    /// Halts every program running now and every one started from now on.
    package func haltAll() {
        lock.withLock {
            stopping = true
            for run in runs.values { halt(run, .stopped) }
        }
    }

    /// Called with `lock` held.
    private func halt(_ run: Run, _ reason: Reason) {
        guard run.reason == nil else { return }
        run.reason = reason
        // Invalid values without a message own no memory: jq's reset frees these two without
        // clearing them, so an allocated one would be freed twice.
        jq_halt(run.state, jv_invalid(), jv_invalid())
    }

    private func watch() {
        var lastMemoryCheck = ContinuousClock.now
        while true {
            Thread.sleep(forTimeInterval: 0.02)
            let now = ContinuousClock.now
            let checkMemory = now - lastMemoryCheck >= .milliseconds(100)
            if checkMemory { lastMemoryCheck = now }
            let resident = checkMemory ? JQWatchdog.residentBytes() : 0
            lock.withLock {
                for run in runs.values where run.reason == nil && now >= run.deadline {
                    halt(run, .deadline(run.timeout))
                }
                if resident > limit, let biggest = runs.values.filter({ $0.reason == nil && now - $0.started > .milliseconds(100) })
                    .min(by: { $0.started < $1.started }) {
                    halt(biggest, .memory(limit))
                }
            }
        }
    }

    /// Resident set size of the process, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
