/// What a replay changes (or, dry-run, would change).
package struct ReplayPlan: Sendable {
    /// Selected items per stage, in stage order of the data.
    package var perStage: [(stage: String, items: Int)]
    /// Items downstream of the selected ones that are deleted to be produced again.
    package var downstream: Int

    package var total: Int { perStage.reduce(0) { $0 + $1.items } }
}
