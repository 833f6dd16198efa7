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
    /// Worker loops a process gives each run of the pipeline (`workers:` in the file) unless
    /// its command line says otherwise (`--workers`); nil: the command's default.
    public var workers: Int?
    /// SQL run (in one transaction) each time a process starts working a run of the
    /// pipeline, before seeding: idempotent set-up such as `CREATE TABLE IF NOT EXISTS`.
    public var setup: [String]
    /// Where each `setup:` statement is in the pipeline file (for errors the server reports
    /// at a position in it); empty for pipelines built in Swift.
    package var setupLocations: [ValueLocation] = []
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
