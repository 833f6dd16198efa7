package import Foundation

/// What one claim took: batches (all under one lease token) and their items.
package struct Claim: Sendable {
    package var token: UUID
    package var batches: [Int64]
    package var items: [ClaimedItem]
}
