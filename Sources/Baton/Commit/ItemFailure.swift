/// A failed attempt, to be recorded (fenced) as a retry or a final failure.
package struct ItemFailure: Sendable {
    package var item: ClaimedItem
    package var isPermanent: Bool
    /// Backoff before the next attempt (ignored when the item fails for good).
    package var delay: Duration
    package var errorClass: String
    package var message: String
    /// Not an attempt: the item goes back to pending untouched, at once, with the attempt it
    /// had (its stage halted before or while it ran). No history row, counted nowhere.
    package var givesBack = false

    /// An item given back untouched (``givesBack``), saying why.
    package static func givenBack(_ item: ClaimedItem, errorClass: String, message: String) -> ItemFailure {
        var failure = ItemFailure(item: item, isPermanent: false, delay: .zero, errorClass: errorClass, message: message)
        failure.givesBack = true
        return failure
    }

    package init(item: ClaimedItem, isPermanent: Bool, delay: Duration, errorClass: String, message: String) {
        self.item = item
        self.isPermanent = isPermanent
        self.delay = delay
        self.errorClass = ItemFailure.storable(errorClass, limit: 200)
        self.message = ItemFailure.storable(message, limit: 4000)
    }

    /// What happens to the item: `pending` (another attempt) or `failed`.
    package var nextState: ItemState {
        if givesBack { return .pending }
        return ItemState.running.applying(.fail(permanent: isPermanent, attempt: item.attempt, maxAttempts: item.maxAttempts)) ?? .failed
    }

    /// Text Postgres can store and people can read: no NUL characters (a response body or a
    /// program's stderr may hold some), and not endless.
    package static func storable(_ text: String, limit: Int) -> String {
        var clean = text.contains("\0") ? text.replacingOccurrences(of: "\0", with: "\u{FFFD}") : text
        if clean.count > limit { clean = String(clean.prefix(limit)) + "…" }
        return clean
    }
}
