/// A transform's failure, classified.
///
/// Throw ``permanent(_:class:)`` for failures another attempt cannot fix (bad data) and
/// ``transient(_:class:retryAfter:)`` for the others (a service down). Any other error a
/// transform throws counts as transient with class `error`.
public struct StageError: Error, Sendable, CustomStringConvertible {
    /// Permanent errors fail the item at once; transient ones are retried with backoff.
    public var isPermanent: Bool
    /// A short class for grouping (`http 404`, `jq`, `sqlstate 23505`, `timeout`…).
    public var errorClass: String
    /// What went wrong, for `baton failures` and `baton explain`.
    public var message: String
    /// Earliest next attempt requested by the remote side (`Retry-After`).
    public var retryAfter: Duration?
    /// The stage cannot go on (e.g. its failure budget is used up): the item is given back
    /// untouched, and the process stops with this message (exit 69).
    package var haltsRun = false
    /// Never started because the process is stopping: the item is given back untouched,
    /// without using an attempt, and the rest of its batch is committed.
    package var notStarted = false

    /// A classified failure.
    public init(isPermanent: Bool, errorClass: String, message: String, retryAfter: Duration? = nil) {
        self.isPermanent = isPermanent
        self.errorClass = errorClass
        self.message = message
        self.retryAfter = retryAfter
    }

    /// A failure another attempt cannot fix: the item fails at once.
    public static func permanent(_ message: String, class errorClass: String) -> StageError {
        StageError(isPermanent: true, errorClass: errorClass, message: message)
    }

    /// A failure worth another attempt (after the stage's backoff, or `retryAfter` if later).
    public static func transient(_ message: String, class errorClass: String, retryAfter: Duration? = nil) -> StageError {
        StageError(isPermanent: false, errorClass: errorClass, message: message, retryAfter: retryAfter)
    }

    /// The message.
    public var description: String { message }
}
