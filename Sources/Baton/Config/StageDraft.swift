import Yams

/// One decoded entry of `stages:`, kept with its nodes so later checks (SQL parameters) can
/// point at the right place.
struct StageDraft {
    var name: String?
    /// The stage's mapping.
    var node: Node
    /// `stages[i]`.
    var path: String
    /// What its kind's decoder built; nil if the kind is missing, doubled or broken.
    var decoded: DecodedStageKind?
    /// The built stage; nil if anything about it is wrong.
    var stage: Stage?
}
