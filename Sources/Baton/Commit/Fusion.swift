/// The fused stages' share of one commit (``Stage/runsInline``): what the stages after the
/// claimed one did, in memory, with the claim's outputs. Written in the claimed batches'
/// transaction; if anything of it fails there, the commit is made without it (every output
/// queued as usual) and the ordinary path deals with the failure.
package struct Fusion: Sendable {
    /// One fused stage's items of the commit, never stored.
    package struct Part: Sendable {
        /// The fused stage's position in the pipeline.
        package var stage: Int
        package var target: CommitTarget
        /// One per item it ran: `item.id` is the stored item the chain started from (the
        /// parent of the part's queued children and results), `children` its outputs that
        /// still go to the queue (or to `baton.results`).
        package var completions: [ItemCompletion]

        package init(stage: Int, target: CommitTarget, completions: [ItemCompletion]) {
            self.stage = stage
            self.target = target
            self.completions = completions
        }
    }

    /// The claimed stage's completions, their inlined children taken out (and counted in
    /// ``ItemCompletion/fused``).
    package var head: [ItemCompletion]
    /// In stage order.
    package var parts: [Part]

    package init(head: [ItemCompletion], parts: [Part]) {
        self.head = head
        self.parts = parts
    }
}
