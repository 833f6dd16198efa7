package import Foundation

/// One item with its history, for `baton explain`.
package struct ItemHistory: Sendable {
    package struct Attempt: Sendable, Hashable {
        package var attempt: Int
        package var worker: String?
        package var startedAt: Date?
        package var finishedAt: Date
        package var outcome: String
        package var errorClass: String?
        package var error: String?
    }
    package var id: Int64
    package var stage: String
    package var key: String
    package var state: String
    package var attempt: Int
    package var maxAttempts: Int
    package var parentID: Int64?
    package var payload: String
    package var worker: String?
    package var createdAt: Date
    package var claimedAt: Date?
    package var finishedAt: Date?
    package var lastError: String?
    package var attempts: [Attempt]
    /// Items it produced: (stage, key, state).
    package var children: [(id: Int64, stage: String, key: String, state: String)]
}
