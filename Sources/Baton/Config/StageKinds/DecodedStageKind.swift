import Yams

/// What a stage kind's decoder built.
struct DecodedStageKind {
    var transform: any StageTransform
    /// The fields of the items the stage emits, when known from the file alone.
    var emits: EmittedFields = .unknown
    /// A SQL statement whose `:name` parameters must be fields of the items entering the stage.
    var parameterizedSQL: (statement: String, node: Node)?
}
