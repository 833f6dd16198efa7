public import BatonJQ

/// A declared pipeline: where items come from and the chain of stages they go through.
///
/// Built by the YAML loader (``PipelineLoader``) or directly in Swift.
public struct Pipeline: Sendable {
    public var name: String
    public var description: String?
    public var source: SourceSpec
    public var stages: [Stage]
    /// Where the pipeline was loaded from, if from a file.
    public var file: String?
    /// The file's text as written (before `${VAR}` interpolation), stored with each run so
    /// any worker can rebuild the pipeline; never contains environment values.
    public var definitionText: String?
    /// Hash of the whole definition.
    public var definitionHash: String
    /// Pending items a stage may accumulate before its producers pause.
    public var backlogLimit: Int
    /// Values that came from the environment (`${VAR}`): redacted from every message.
    public var secrets: [String]
    /// SQL run (in one transaction) each time a process starts working a run of the
    /// pipeline, before seeding: idempotent set-up such as `CREATE TABLE IF NOT EXISTS`.
    public var setup: [String]
    /// What the loader noticed without it being an error (a glob matching no file yet):
    /// `FILE:LINE:COLUMN: FIELD: MESSAGE`, printed by `baton validate` and logged by `baton run`.
    public var warnings: [PipelineError] = []

    public init(
        name: String, description: String? = nil, source: SourceSpec, stages: [Stage],
        file: String? = nil, definitionText: String? = nil, definitionHash: String? = nil,
        backlogLimit: Int = 20_000, secrets: [String] = [], setup: [String] = []
    ) {
        self.name = name
        self.description = description
        self.source = source
        self.stages = stages
        self.file = file
        self.definitionText = definitionText
        self.definitionHash = definitionHash ?? StableHash.hex(([name] + stages.map(\.definitionHash)).joined(separator: "\u{1}"))
        self.backlogLimit = backlogLimit
        self.secrets = secrets
        self.setup = setup
    }

    /// `text` with every secret replaced by `***`.
    public func redact(_ text: String) -> String {
        Redactor(secrets: secrets).redact(text)
    }

    public func stage(named name: String) -> Stage? { stages.first { $0.name == name } }

    public func stageIndex(_ name: String) -> Int? { stages.firstIndex { $0.name == name } }
}

/// One step of a pipeline.
public struct Stage: Sendable {
    public var name: String
    /// What the stage does to each item.
    public var transform: any StageTransform
    /// A jq expression giving the identity (key) of each item *entering* this stage; by
    /// default a child's key is its parent's key and its output position (`parent/0`).
    public var key: String?
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
    /// Hash of this stage's definition; recorded on every item it finishes.
    public var definitionHash: String
    /// Where in the pipeline file the stage is declared (`file:line`), for messages.
    public var location: String?

    public init(
        name: String, transform: any StageTransform, key: String? = nil, retry: RetryPolicy = RetryPolicy(),
        concurrency: Int? = nil, batchSize: Int? = nil, lease: Duration = .seconds(30), timeout: Duration? = nil,
        definitionHash: String? = nil, location: String? = nil
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

/// Where a pipeline's items come from.
public struct SourceSpec: Sendable {
    /// The kind of source and its settings (``jsonl(path:)``, ``csv(path:options:)``,
    /// ``sql(query:databaseURL:)``, ``items(_:)``).
    public struct Kind: Sendable {
        package let definition: any SourceDefinition
        package init(_ definition: any SourceDefinition) { self.definition = definition }
    }

    public enum OnError: String, Sendable {
        /// A malformed record fails the run before anything is enqueued (exit 65).
        case fail
        /// A malformed record becomes a failed item (with its line) and the rest proceeds.
        case skip
    }

    public var kind: Kind
    /// jq expression giving each item's identity; default: a hash of its content.
    public var key: String?
    public var onError: OnError
    /// Skip items whose key an earlier run of the same pipeline completed within this window.
    public var dedupeWindow: Duration?
    /// Incremental loading (`sql` and `http` sources): read from the pipeline's cursor on.
    public var incremental: IncrementalSpec?
    /// Where in the pipeline file the source is declared, for messages.
    public var location: String?

    /// The engine's view of ``kind``.
    package var definition: any SourceDefinition { kind.definition }

    public init(_ kind: Kind, key: String? = nil, onError: OnError = .fail, dedupeWindow: Duration? = nil,
                incremental: IncrementalSpec? = nil, location: String? = nil) {
        self.kind = kind
        self.key = key
        self.onError = onError
        self.dedupeWindow = dedupeWindow
        self.incremental = incremental
        self.location = location
    }
}

public struct CSVOptions: Sendable, Hashable {
    public enum ColumnType: String, Sendable, Hashable, CaseIterable {
        case string, integer, number, boolean, json
    }
    public var delimiter: Character
    /// Types of columns by header name; others are strings.
    public var types: [String: ColumnType]
    public init(delimiter: Character = ",", types: [String: ColumnType] = [:]) {
        self.delimiter = delimiter
        self.types = types
    }
}
