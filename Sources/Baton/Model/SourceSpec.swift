/// Where a pipeline's items come from.
public struct SourceSpec: Sendable {
    /// The kind of source and its settings (``jsonl(path:)``, ``csv(path:options:)``,
    /// ``sql(query:databaseURL:)``, ``items(json:)``, ``items(_:encoder:)``).
    public struct Kind: Sendable {
        package let definition: any SourceDefinition
        package init(_ definition: any SourceDefinition) { self.definition = definition }
    }

    /// What a malformed source record does.
    public enum OnError: String, Sendable {
        /// A malformed record fails the run before anything is enqueued (exit 65).
        case fail
        /// A malformed record becomes a failed item (with its line) and the rest proceeds.
        case skip
    }

    /// The kind of source.
    public var kind: Kind
    /// jq expression giving each item's identity; default: a hash of its content.
    public var key: String?
    /// What a malformed record does.
    public var onError: OnError
    /// Skip items whose key an earlier run of the same pipeline seeded within this window.
    public var dedupeWindow: Duration?
    /// Incremental loading (`sql` and `http` sources): read from the pipeline's cursor on.
    public var incremental: IncrementalSpec?
    /// Where in the pipeline file the source is declared, for messages.
    package var location: String?

    /// The engine's view of ``kind``.
    package var definition: any SourceDefinition { kind.definition }

    /// A source of the given kind; `incremental` reads from the pipeline's cursor on.
    public init(_ kind: Kind, key: String? = nil, onError: OnError = .fail, dedupeWindow: Duration? = nil,
                incremental: IncrementalSpec? = nil) {
        self.init(kind, key: key, onError: onError, dedupeWindow: dedupeWindow, incremental: incremental, location: nil)
    }

    package init(_ kind: Kind, key: String?, onError: OnError, dedupeWindow: Duration?, incremental: IncrementalSpec?,
                 location: String?) {
        self.kind = kind
        self.key = key
        self.onError = onError
        self.dedupeWindow = dedupeWindow
        self.incremental = incremental
        self.location = location
    }
}
