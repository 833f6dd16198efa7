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
