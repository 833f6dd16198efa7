/// A failed attempt, to be recorded (fenced) as a retry or a final failure.
package struct ItemFailure: Sendable {
    package var item: ClaimedItem
    package var isPermanent: Bool
    /// Backoff before the next attempt (ignored when the item fails for good).
    package var delay: Duration
    package var errorClass: String
    package var message: String

    package init(item: ClaimedItem, isPermanent: Bool, delay: Duration, errorClass: String, message: String) {
        self.item = item
        self.isPermanent = isPermanent
        self.delay = delay
        self.errorClass = ItemFailure.storable(errorClass, limit: 200)
        self.message = ItemFailure.storable(message, limit: 4000)
    }

    /// What happens to the item: `pending` (another attempt) or `failed`.
    package var nextState: ItemState {
        ItemState.running.applying(.fail(permanent: isPermanent, attempt: item.attempt, maxAttempts: item.maxAttempts)) ?? .failed
    }

    /// Text Postgres can store and people can read: no NUL characters (a response body or a
    /// program's stderr may hold some), and not endless.
    package static func storable(_ text: String, limit: Int) -> String {
        var clean = text.contains("\0") ? text.replacingOccurrences(of: "\0", with: "\u{FFFD}") : text
        if clean.count > limit { clean = String(clean.prefix(limit)) + "…" }
        return clean
    }
}
