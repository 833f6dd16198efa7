/// A declared pipeline: where items come from and the chain of stages they go through.
///
/// Load one from a file with ``PipelineLoader``, or build it in Swift:
///
/// ```swift
/// let pipeline = Pipeline(
///     name: "greetings",
///     source: SourceSpec(try .items([Person(id: 1, name: "Ada")]), key: ".id"),
///     stages: [
///         Stage(name: "greet", transform: SwiftTransform { item in
///             let person = try item.decode(Person.self)
///             return try .items([Greeting(id: person.id, text: "Hello, \(person.name)")])
///         }),
///         try .sql(name: "save", statement: "insert into greetings (id, text) values (:id, :text)"),
///     ]
/// )
/// let report = try await pipeline.run(on: Database(url: "postgresql:///etl"), runName: "nightly")
/// ```
public struct Pipeline: Sendable {
    /// The pipeline's name (letters, digits, `_`, `-`); runs are grouped by it.
    public var name: String
    /// Free text for readers.
    public var description: String?
    /// Where the items come from.
    public var source: SourceSpec
    /// The stages, in order; each one's outputs are the next one's items.
    public var stages: [Stage]
    /// Pending items a stage may hold before its producers pause (backpressure).
    public var backlogLimit: Int
    /// SQL run (in one transaction) each time a process starts working a run of the
    /// pipeline, before seeding: idempotent set-up such as `CREATE TABLE IF NOT EXISTS`.
    public var setup: [String]
    /// Where the pipeline was loaded from, if from a file.
    public var file: String?
    /// The file's text as written (before `${VAR}` interpolation), stored with each run so
    /// any worker can rebuild the pipeline; never contains environment values.
    package var definitionText: String?
    /// Hash of the whole definition.
    package var definitionHash: String
    /// Values that came from the environment (`${VAR}`): redacted from every message.
    package var secrets: [String]
    /// What the loader noticed without it being an error (a glob matching no file yet):
    /// `FILE:LINE:COLUMN: FIELD: MESSAGE`, printed by `baton validate` and logged by `baton run`.
    package var warnings: [PipelineError] = []

    /// A pipeline built in Swift.
    public init(name: String, description: String? = nil, source: SourceSpec, stages: [Stage], backlogLimit: Int = 20_000,
                setup: [String] = []) {
        self.init(name: name, description: description, source: source, stages: stages, file: nil, definitionText: nil,
                  definitionHash: nil, backlogLimit: backlogLimit, secrets: [], setup: setup)
    }

    /// A pipeline with all its parts, as the loader builds it.
    package init(
        name: String, description: String?, source: SourceSpec, stages: [Stage], file: String?, definitionText: String?,
        definitionHash: String?, backlogLimit: Int, secrets: [String], setup: [String]
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
    package func redact(_ text: String) -> String {
        Redactor(secrets: secrets).redact(text)
    }

    /// The stage called `name`, if there is one.
    public func stage(named name: String) -> Stage? { stages.first { $0.name == name } }
}

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

/// How a CSV source reads its file.
public struct CSVOptions: Sendable, Hashable {
    /// The JSON type a column's text becomes.
    public enum ColumnType: String, Sendable, Hashable, CaseIterable {
        /// Text as is.
        case string
        /// A whole number; an empty field is `null`.
        case integer
        /// Any number; an empty field is `null`.
        case number
        /// `true` or `false`; an empty field is `null`.
        case boolean
        /// The field holds JSON; an empty field is `null`.
        case json
    }

    /// The field separator (default `,`).
    public var delimiter: Character
    /// Types of columns by header name; others are strings.
    public var types: [String: ColumnType]

    /// CSV settings.
    public init(delimiter: Character = ",", types: [String: ColumnType] = [:]) {
        self.delimiter = delimiter
        self.types = types
    }
}
