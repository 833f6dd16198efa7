import Foundation

/// One file of a file set, as remembered in `baton.source_files`: a file is read again when
/// its size or content checksum changed.
package struct SourceFile: Sendable, Hashable, Codable {
    /// Absolute path.
    package var path: String
    package var size: Int64
    /// Modification time in nanoseconds since the epoch (a file whose size and time are
    /// unchanged is not read again to compute its checksum).
    package var modified: Int64
    /// ``BatonZlib/ContentChecksum`` of the bytes as stored (compressed for `.gz`).
    package var checksum: String

    package init(path: String, size: Int64, modified: Int64, checksum: String) {
        self.path = path
        self.size = size
        self.modified = modified
        self.checksum = checksum
    }
}

extension SourceFile {
    /// Throws unless the file at `path` still has `size` bytes, checked when its reading
    /// ends. A file truncated (`logrotate`'s copytruncate) or rewritten while it is read ends
    /// early, at a line end as often as not: read as "the file is done", the rest would be
    /// lost without a word.
    package static func requireUnchanged(_ path: String, size: Int64, since: String) throws {
        let now = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        guard now != size else { return }
        throw BatonError(.data, """
            \(path) changed while the run read it: it had \(size) bytes when \(since), \
            \(now.map { "\($0) now" } ?? "and cannot be read now"); the rest of it was not enqueued (the run is still running). \
            Restore the file and resume the run, or start a new run
            """)
    }
}
