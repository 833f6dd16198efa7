/// How the values of an incremental cursor compare.
public enum CursorKind: String, Sendable, Hashable, CaseIterable {
    /// Numbers (ids, versions).
    case number
    /// RFC 3339 / ISO 8601 timestamps, compared as instants; stored in UTC.
    case timestamp
    /// Anything else, compared byte by byte.
    case text
}
