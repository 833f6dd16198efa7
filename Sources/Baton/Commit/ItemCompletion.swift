/// A transformed item, ready for its fenced commit.
package struct ItemCompletion: Sendable {
    package var item: ClaimedItem
    /// Items for the next stage (or `baton.results`), keys already derived.
    package var children: [ChildItem]
    /// Statements to run in the commit transaction.
    package var effects: [SQLEffect]
    /// Children come from the effects' returned rows (keys derived by the worker).
    package var outputsFromEffects: Bool
    /// Children too many to hold in memory, spilled to a file (a large fan-out).
    package var spill: ChildSpill?
    /// Children that the next stage ran inline (fused) instead of being queued.
    package var fused = 0

    package init(item: ClaimedItem, children: [ChildItem], effects: [SQLEffect] = [], outputsFromEffects: Bool = false,
                 spill: ChildSpill? = nil) {
        self.item = item
        self.children = children
        self.effects = effects
        self.outputsFromEffects = outputsFromEffects
        self.spill = spill
    }

    /// `done` when it produced or wrote something, `skipped` when it was filtered out.
    package var finalState: ItemState {
        let produced = !children.isEmpty || fused > 0 || !effects.isEmpty || outputsFromEffects || (spill?.count ?? 0) > 0
        return ItemState.running.applying(.complete(produced: produced)) ?? .done
    }
}
