import Yams

/// One kind of stage as a pipeline file spells it (`jq:`, `sql:`, `http:`, `exec:`, `swift:`): the key
/// that names it, the other stage keys only it accepts, and its decoder.
///
/// Adding a kind: a file here with its ``StageKind``, its transform (`Transforms/`), and one
/// line in ``StageKinds/all``. Hints, validation and the key lists derive from the registry.
protocol StageKind {
    /// The stage key naming the kind (`jq`).
    static var key: String { get }
    /// Stage keys besides ``key`` that belong to this kind (e.g. `outputs` for sql).
    static var ownKeys: [String] { get }
    /// A short example for hints: "`jq: '.'` to reshape items".
    static var example: String { get }
    /// Decodes the kind's entry of a stage; reports what is wrong through `decoder` and
    /// returns nil when the stage cannot be built.
    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind?
}
