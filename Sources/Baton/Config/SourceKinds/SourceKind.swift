import Yams

/// One kind of source as a pipeline file spells it (`jsonl:`, `csv:`, `sql:`, `http:`, `items:`): the
/// key that names it, the other source keys only it accepts, and its decoder.
///
/// Adding a kind: a file here with its ``SourceKind``, its ``SourceDefinition`` and reader
/// (`Readers/`), and one line in ``SourceKinds/all``.
protocol SourceKind {
    /// The source key naming the kind (`jsonl`).
    static var key: String { get }
    /// Source keys besides ``key`` that belong to this kind (e.g. `delimiter` for csv).
    static var ownKeys: [String] { get }
    /// Decodes the kind's entry; reports problems through `decoder`, nil when unusable.
    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind?
}
