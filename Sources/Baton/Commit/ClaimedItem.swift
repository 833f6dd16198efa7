package import Foundation

/// An item a worker holds a lease on (through its batch).
package struct ClaimedItem: Sendable, Hashable {
    package var id: Int64
    /// The batch it was claimed in; the lease is the batch's.
    package var batchID: Int64
    package var key: String
    /// JSON text.
    package var payload: String
    /// 1 on the first attempt.
    package var attempt: Int
    package var maxAttempts: Int
    package var parentID: Int64?
    /// The lease: only its holder may complete or fail the item.
    package var leaseToken: UUID

    package init(id: Int64, batchID: Int64, key: String, payload: String, attempt: Int, maxAttempts: Int,
                 parentID: Int64?, leaseToken: UUID) {
        self.id = id
        self.batchID = batchID
        self.key = key
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.parentID = parentID
        self.leaseToken = leaseToken
    }
}
