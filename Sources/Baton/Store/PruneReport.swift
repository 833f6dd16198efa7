/// What `baton prune` removed (or would remove).
package struct PruneReport: Sendable, Hashable {
    package var runs: [String]
    package var items: Int
    package init(runs: [String], items: Int) {
        self.runs = runs
        self.items = items
    }
}
