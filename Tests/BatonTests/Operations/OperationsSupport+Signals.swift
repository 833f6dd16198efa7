import BatonPostgres
import BatonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Sends `signal` to `process` as soon as `condition` holds, checking every 20 ms on a
    /// thread of its own (not Swift's cooperative pool, which the other tests running at the
    /// same time may keep busy for seconds). False when the process ended first or the
    /// timeout passed.
    static func signal(
        _ process: BatonProcess, _ signal: Int32, timeout: Duration = .seconds(60),
        when condition: @escaping @Sendable () -> Bool
    ) async -> Bool {
        let pid = process.pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    if condition() {
                        kill(pid, signal)
                        continuation.resume(returning: true)
                        return
                    }
                    if kill(pid, 0) != 0 { break }
                    usleep(20_000)
                }
                continuation.resume(returning: false)
            }
        }
    }

    /// Waits (off the cooperative pool) until the count `sql` returns reaches `threshold`.
    static func wait(for process: BatonProcess, database db: TestDatabase, until sql: String, reaches threshold: Int) async -> Bool {
        await signal(process, 0, database: db, when: sql, reaches: threshold)
    }

    /// Sends `signal` (0: none) once the count `sql` returns reaches `threshold`.
    static func signal(
        _ process: BatonProcess, _ signal: Int32, database db: TestDatabase, when sql: String, reaches threshold: Int,
        timeout: Duration = .seconds(60)
    ) async -> Bool {
        let connection = LockedConnection(db)
        return await Ops.signal(process, signal, timeout: timeout) {
            (try? connection.count(sql)) ?? 0 >= threshold
        }
    }

    /// One connection used from the watching thread only.
    final class LockedConnection: @unchecked Sendable {
        private let db: TestDatabase
        private var connection: Connection?
        init(_ db: TestDatabase) { self.db = db }
        /// Called from one thread at a time (the watcher).
        func count(_ sql: String) throws -> Int {
            let conn = try connection ?? db.connect()
            connection = conn
            return try Ops.count(conn, sql)
        }
    }
}
