import Baton

/// What `failures` and `replay` say about bad records (`on_error: skip`): whether a replay
/// reads them again, and, for a source that cannot, why and what to do instead.
enum BadRecordNotes {
    /// The source's kind as stored with runs (`files` for a glob or folder), from the
    /// pipeline when it could be loaded, else from the run.
    static func kind(_ pipeline: Pipeline?, _ source: SourceIdentity?) -> String? {
        guard let definition = pipeline?.source.definition else { return source?.kind }
        return definition is FileSetSource ? "files" : definition.kindName
    }

    /// Whether a replay reads the bad records again from the source.
    static func rereads(_ pipeline: Pipeline?, _ source: SourceIdentity?) -> Bool {
        if let definition = pipeline?.source.definition { return definition.rereadsRecords }
        return !["sql", "http", "files"].contains(source?.kind ?? "")
    }

    /// Why a replay leaves the bad records of a source of this kind out, and what to do.
    static func whyLeftOut(_ kind: String?) -> String {
        switch kind {
        case "files":
            "the records of a glob or folder are not read again one by one (fix the file: the next run of the pipeline reads a changed file again, in full)"
        case "http":
            "the records of an API's pages cannot be fetched again one by one (fix them at the source, then start a new run)"
        default:
            "the rows of a query cannot be read again one by one (fix the rows, then start a new run)"
        }
    }
}
