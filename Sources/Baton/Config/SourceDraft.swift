/// The decoded `source:` block: the spec (nil if anything about it is wrong) and the fields
/// of its items when they can be known statically.
struct SourceDraft {
    var spec: SourceSpec?
    var fields: KnownFields?
}
