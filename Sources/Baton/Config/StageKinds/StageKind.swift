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

/// What a stage kind's decoder built.
struct DecodedStageKind {
    var transform: any StageTransform
    /// The fields of the items the stage emits, when known from the file alone.
    var emits: EmittedFields = .unknown
    /// A SQL statement whose `:name` parameters must be fields of the items entering the stage.
    var parameterizedSQL: (statement: String, node: Node)?
}

/// What is known of the items a stage emits (for SQL parameter checks downstream).
enum EmittedFields {
    case unknown
    /// The items it received, unchanged.
    case input
    /// Objects with these fields.
    case fields([String])
}

/// The registry of stage kinds.
enum StageKinds {
    static var all: [any StageKind.Type] { [JQStageKind.self, SQLStageKind.self, HTTPStageKind.self, ExecStageKind.self, SwiftStageKind.self] }

    static var keys: [String] { all.map { $0.key } }

    static func kind(named key: String) -> (any StageKind.Type)? { all.first { $0.key == key } }

    /// The kinds messages offer: `swift` only when the loading program registered Swift
    /// stages (the `baton` command has none; a `swift:` key is still read and explained).
    static func offered(swift: Bool) -> [any StageKind.Type] {
        all.filter { swift || $0.key != SwiftStageKind.key }
    }

    /// "jq, sql, http, exec" (and ", swift").
    static func list(swift: Bool) -> String { offered(swift: swift).map { $0.key }.joined(separator: ", ") }

    /// Every kind's own keys (allowed on a stage of that kind only).
    static var ownKeys: [(key: String, kind: String)] { all.flatMap { kind in kind.ownKeys.map { ($0, kind.key) } } }
}
