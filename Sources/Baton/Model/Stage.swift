/// One step of a pipeline: a transform and how its items are claimed, retried and keyed.
public struct Stage: Sendable {
    /// Unique within the pipeline (letters, digits, `_`, `-`).
    public var name: String
    /// What the stage does to each item.
    public var transform: any StageTransform
    /// A jq expression giving the identity (key) of each item *entering* this stage; by
    /// default a child's key is its parent's key and its output position (`parent/0`).
    public var key: String?
    /// How often and how late a failed item is tried again.
    public var retry: RetryPolicy
    /// Items of this stage in flight at once in one process.
    public var concurrency: Int
    /// Items claimed (and committed) per transaction.
    public var batchSize: Int
    /// How long a claimed item stays leased without a heartbeat.
    public var lease: Duration
    /// How long one item may spend in the transform (nil: the kind's default, e.g. 10 s for
    /// jq, the request's or program's own timeout for http and exec).
    public var timeout: Duration?
    /// Whether the stage may run inside the previous stage's transaction when it can (see
    /// ``runsInline``); `fuse: false` in the file keeps its queue boundary.
    public var fuse = true
    /// Hash of this stage's definition; recorded on every item it finishes.
    package var definitionHash: String
    /// Where in the pipeline file the stage is declared (`file:line`), for messages.
    package var location: String?

    /// A stage; `concurrency` and `batchSize` default to the transform's
    /// (``StageTransform/defaultConcurrency``, ``StageTransform/defaultBatchSize``).
    public init(
        name: String, transform: any StageTransform, key: String? = nil, retry: RetryPolicy = RetryPolicy(),
        concurrency: Int? = nil, batchSize: Int? = nil, lease: Duration = .seconds(30), timeout: Duration? = nil
    ) {
        self.init(name: name, transform: transform, key: key, retry: retry, concurrency: concurrency, batchSize: batchSize,
                  lease: lease, timeout: timeout, definitionHash: nil, location: nil)
    }

    /// A stage as the loader builds it, with the hash of its definition and its place in the file.
    package init(
        name: String, transform: any StageTransform, key: String?, retry: RetryPolicy, concurrency: Int?, batchSize: Int?,
        lease: Duration, timeout: Duration?, definitionHash: String?, location: String?
    ) {
        self.name = name
        self.transform = transform
        self.key = key
        self.retry = retry
        self.concurrency = max(1, concurrency ?? transform.defaultConcurrency)
        self.batchSize = max(1, min(batchSize ?? transform.defaultBatchSize, Store.maxBatchSize))
        self.lease = lease
        self.timeout = timeout
        self.definitionHash = definitionHash ?? StableHash.hex("\(name)\u{1}\(transform.fingerprint)\u{1}\(key ?? "")")
        self.location = location
    }
}

extension Stage {
    /// The stage runs inside the commit of the stage before it ("fused"): its transform is
    /// in-database (jq, or sql not returning rows), and the queue boundary in front of it does
    /// nothing a user asked for (no `key:`: no deduplication or fan-in; `fuse` not off). Its
    /// items are transformed in memory by the worker that finished their parent, its effects
    /// and counts are written in that same transaction, and only the items that fail (or are
    /// not decided) there are stored and queued as usual.
    package var runsInline: Bool {
        guard fuse, key == nil, let transform = transform as? any InMemoryTransform else { return false }
        return transform.canRunFused
    }

    /// See ``InMemoryTransform``.
    package var transformsInMemory: Bool { transform is any InMemoryTransform }
}
