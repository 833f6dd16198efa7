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
    package func take(_ count: Int, _ conn: Connection) throws -> [Int64] {
        guard count > 0 else { return [] }
        if ids.count < count {
            let wanted = count - ids.count + reserve
            let fetched = try conn.query("SELECT nextval('baton.batch_ids') FROM generate_series(1, $1)", [wanted])
            ids += try fetched.rows.map { try $0.decode(Int64.self, 0) }
        }
        let taken = Array(ids.prefix(count))
        ids.removeFirst(count)
        return taken
    }
}
