/// What one commit did.
package struct CommitReport: Sendable, Hashable {
    package var done = 0
    package var skipped = 0
    /// Items that failed for good in this commit.
    package var failed = 0
    /// Items sent back to `pending` for another attempt.
    package var retried = 0
    /// Items whose outputs were refused because the lease was lost (another worker has them).
    package var leaseLost = 0
    /// Children not enqueued because an item with the same key already existed.
    package var deduplicated = 0
    /// Children enqueued.
    package var enqueued = 0
    /// What each fused stage of the commit did (``Fusion/parts``, in order); empty when the
    /// commit was made without them.
    package var fused: [CommitReport] = []

    package init() {}

    package static func + (a: CommitReport, b: CommitReport) -> CommitReport {
        var sum = a
        sum.done += b.done
        sum.skipped += b.skipped
        sum.failed += b.failed
        sum.retried += b.retried
        sum.leaseLost += b.leaseLost
        sum.deduplicated += b.deduplicated
        sum.enqueued += b.enqueued
        return sum
    }
}
