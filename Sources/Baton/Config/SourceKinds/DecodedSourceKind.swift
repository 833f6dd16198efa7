/// What a source kind's decoder built.
struct DecodedSourceKind {
    var definition: any SourceDefinition
    /// The fields of its items, when known from the file alone (a CSV header, inline items).
    var fields: KnownFields?
}
