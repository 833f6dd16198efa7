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
}

/// Reads a source's records in order and can resume at a position it reported.
package protocol SourceReader: AnyObject {
    /// The next record, or nil at the end.
    func next() throws -> SourceRecord?
    /// An opaque resume point after the last record returned (a byte offset or a count).
    var position: Int64 { get }
    /// The line or row number of the last record returned.
    var line: Int64 { get }
    /// Continue after a position and line reported earlier.
    func resume(position: Int64, line: Int64) throws
}
