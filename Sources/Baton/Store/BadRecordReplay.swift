/// What a replay did with the bad records it re-read.
package struct BadRecordReplay: Sendable, Hashable {
    /// Now valid: entered the first stage under their real key.
    package var fixed = 0
    /// Now valid, but an item with the same key was already in the stage (counted as deduplicated).
    package var duplicates = 0
    /// Still bad (with the new error).
    package var stillBad = 0
}
