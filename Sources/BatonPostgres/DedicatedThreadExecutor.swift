import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A serial executor that runs every job on one OS thread it owns.
///
/// libpq calls block. An actor whose `unownedExecutor` is one of these runs its methods on
/// that thread, so a blocking `PQexec` ties up a thread of ours, never a thread of Swift's
/// cooperative pool.
///
/// `@unchecked Sendable`: the job queue is only touched under `condition`'s lock, and the
/// thread is the only consumer.
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var threadID: pthread_t?

    /// Starts the thread. `name` (at most 15 characters are kept) shows in debuggers and
    /// `top -H`.
    public init(name: String) {
        let thread = Thread { [self] in
            DedicatedThreadExecutor.nameCurrentThread(name)
            self.condition.lock()
            self.threadID = pthread_self()
            self.condition.unlock()
            self.runLoop()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// True when called on this executor's thread.
    public var isCurrentThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }

    /// Sets the system name of the calling thread (what `top -H` and debuggers show; 15 bytes
    /// kept). Written to /proc: Foundation's `Thread.name` does not reliably reach the kernel.
    private static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued, then end.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
