package import BatonPostgres

/// Batch ids reserved from `baton.batch_ids` ahead of time, so a commit can name the batches
/// it creates (and its items' ids, ``Store/itemID(batch:position:)``) and still be sent in one
/// round trip. Gaps left by unused ids are harmless.
///
/// Not `Sendable`: owned by one worker, used on its connection's thread.
package final class BatchIDPool {
    private var ids: [Int64] = []
    private let reserve: Int

    package init(reserve: Int = 64) { self.reserve = max(1, reserve) }

    /// `count` fresh ids, fetching more from the sequence when the pool runs low.
    ///
    /// An id kept for later must survive a server crash. `nextval` logs a range of values
    /// ahead; values handed out of a range whose log record was never flushed (logged by a
    /// transaction that rolled back, or committed asynchronously; later calls from the range
    /// write nothing and flush nothing) come back after an immediate restart, to another
    /// worker: two batches with one id. (The chaos suite's Postgres-restart scenario found
    /// it: item primary keys "already existed".)
    /// So the reserve is fetched in a transaction of its own that has an xid and commits
    /// synchronously. Inside an open transaction only `count` ids are fetched: they are used
    /// by that transaction, durable if it commits, and never reused if it does not.
    package func take(_ count: Int, _ conn: Connection) throws -> [Int64] {
        guard count > 0 else { return [] }
        if ids.count < count {
            let fetch = "SELECT nextval('baton.batch_ids') FROM generate_series(1, $1)"
            if conn.transactionStatus == .idle {
                let wanted = count - ids.count + reserve
                ids += try conn.transaction { conn -> [Int64] in
                    try conn.execute("SET LOCAL synchronous_commit = on")
                    _ = try conn.query("SELECT txid_current()")
                    return try conn.query(fetch, [wanted]).rows.map { try $0.decode(Int64.self, 0) }
                }
            } else {
                let missing = count - ids.count
                let fetched = try conn.query(fetch, [missing]).rows.map { try $0.decode(Int64.self, 0) }
                // Used now, by this transaction, ahead of the reserve.
                let taken = Array(ids) + fetched
                ids = []
                return taken
            }
        }
        let taken = Array(ids.prefix(count))
        ids.removeFirst(count)
        return taken
    }
}
