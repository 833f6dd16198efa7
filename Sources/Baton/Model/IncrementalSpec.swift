/// Incremental loading (`incremental:` of a `sql` or `http` source): each run reads from the
/// highest cursor value the pipeline's earlier runs committed (minus `lookback`), bound as
/// `:_cursor` in a query or `$cursor` in request templates.
public struct IncrementalSpec: Sendable, Hashable {
    /// jq expression giving each record's cursor value (`.updated_at`).
    public var cursor: String
    /// The cursor of the first run (and after `baton cursor reset`), canonical text.
    public var initial: String
    /// How cursor values compare: told by `initial`.
    public var kind: CursorKind
    /// How far before the stored cursor a run starts reading, for late data.
    public var lookback: Lookback?

    /// A lookback: a duration for timestamp cursors, an amount for number cursors.
    public enum Lookback: Sendable, Hashable {
        /// For timestamp cursors.
        case duration(Duration)
        /// For number cursors.
        case amount(Double)
    }

    /// An incremental spec: `cursor` gives each record's value, `initial` the first run's start.
    public init(cursor: String, initial: String, kind: CursorKind, lookback: Lookback? = nil) {
        self.cursor = cursor
        self.initial = initial
        self.kind = kind
        self.lookback = lookback
    }

    /// Where a run starts reading: the stored cursor minus the lookback, or `initial`.
    package func start(from stored: String?) -> String {
        guard let stored, CursorValue.canonical(stored, kind: kind) != nil else { return initial }
        guard let lookback else { return stored }
        return CursorValue.subtracting(lookback, from: stored, kind: kind) ?? stored
    }
}
