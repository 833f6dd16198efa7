/// One record read from a source: an item's JSON, or why the record is malformed.
package struct SourceRecord: Sendable {
    /// 1-based line (file sources), row or list position.
    var line: Int64
    /// JSON text of the item, nil when malformed.
    var payload: String?
    /// Why the record is malformed.
    var error: String?
    /// The raw text of a malformed record (truncated), kept for the failed item.
    var raw: String?
    /// The file it comes from, when the source is several files (messages name it).
    var file: String?
    /// The payload is the record's own text (strict JSON, checked but not normalised), not
    /// JSON that Baton wrote.
    var verbatim = false
}

/// Reads a source's records in order and can resume at a position it reported.
package protocol SourceReader: AnyObject {
    /// The next record, or nil at the end.
    func next() throws -> SourceRecord?
    /// An opaque resume point after the last record returned.
    var position: SourcePosition { get }
    /// Continue after a position reported earlier.
    func resume(at position: SourcePosition) throws
    /// True right after the last record of a unit that is committed on its own (an HTTP
    /// page): the seeder ends its chunk there, so the unit and the position after it are
    /// committed together.
    var endsChunk: Bool { get }
    /// Files read to their end since the last call, remembered with the chunk that read
    /// their last record (file sets; see ``FileSetReader``).
    func takeFinishedFiles() -> [SourceFile]
}

extension SourceReader {
    package var endsChunk: Bool { false }
    package func takeFinishedFiles() -> [SourceFile] { [] }
}
