/// Which finished items a replay puts back in the queue.
package struct ReplaySelection: Sendable, Hashable {
    package var stages: [String]?
    package var keys: [String]?
    /// A substring of the last error (case-insensitive).
    package var errorPattern: String?
    /// Also replay items that succeeded (done or skipped); their downstream items are
    /// deleted and produced again (same keys), so nothing is duplicated.
    package var includeDone: Bool

    package init(stages: [String]? = nil, keys: [String]? = nil, errorPattern: String? = nil, includeDone: Bool = false) {
        self.stages = stages
        self.keys = keys
        self.errorPattern = errorPattern
        self.includeDone = includeDone
    }

    var states: [String] { includeDone ? ["failed", "done", "skipped"] : ["failed"] }
}
