/// Where a source reader is: a byte offset or count, the line or row number, and what else
/// the reader needs to continue (JSON text: which file of a set, the next page's request…).
/// Stored with the run (`seed_position`, `seed_line`, `seed_state`) in the transaction of
/// each seeded chunk.
package struct SourcePosition: Sendable, Hashable {
    package var offset: Int64
    package var line: Int64
    /// Opaque to everyone but the reader that made it; nil for simple readers.
    package var state: String?

    package init(offset: Int64, line: Int64, state: String? = nil) {
        self.offset = offset
        self.line = line
        self.state = state
    }

    /// Before the first record.
    package static let start = SourcePosition(offset: 0, line: 0)
}
