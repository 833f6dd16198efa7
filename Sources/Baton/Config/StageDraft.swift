import Yams

/// One decoded entry of `stages:`, kept with its nodes so later checks (SQL parameters) can
/// point at the right place.
struct StageDraft {
    enum Kind {
        case jq(program: String)
        case sql(statement: String, node: Node, outputs: SQLTransform.Outputs)
        case http
        case exec
    }

    var name: String?
    /// The stage's mapping.
    var node: Node
    /// `stages[i]`.
    var path: String
    var kind: Kind?
    /// The built stage; nil if anything about it is wrong.
    var stage: Stage?
}
