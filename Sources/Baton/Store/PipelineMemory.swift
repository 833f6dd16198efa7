package import Foundation

/// What a pipeline remembers across its runs: the incremental cursor (`baton.cursors`), the
/// keys its incremental source seeded with their cursor values (`baton.cursor_keys`), and the
/// files of a file set it read (`baton.source_files`).
package struct PipelineMemory: Sendable, Hashable {
    package var cursor: Cursor?
    package var seenKeys: Int
    package var files: Int

    package init(cursor: Cursor?, seenKeys: Int, files: Int) {
        self.cursor = cursor
        self.seenKeys = seenKeys
        self.files = files
    }

    /// A row of `baton.cursors`.
    package struct Cursor: Sendable, Hashable {
        package var value: String
        package var kind: CursorKind
        package var runID: Int64?
        package var updatedAt: Date
    }
}
