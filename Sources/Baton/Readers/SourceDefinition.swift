/// One kind of source, as the engine sees it: how to read it, and what messages call it.
/// Each kind is one type (`JSONLSource`, `CSVSource`, …) built by its decoder in
/// `Config/SourceKinds/`.
package protocol SourceDefinition: Sendable {
    /// The kind's key in a pipeline file: `jsonl`, `csv`, `sql`, `items`.
    var kindName: String { get }
    /// What messages call the source: its file, "source query", "source items".
    var displayName: String { get }
    /// Read through once before anything is enqueued, so `on_error: fail` stops a malformed
    /// source with nothing half-seeded (files and inline items; a query is not read twice).
    var isCheckedBeforeSeeding: Bool { get }
    /// Whether this machine can read it now (another machine's file may not be here).
    var isReadableHere: Bool { get }
    /// A reader at the start of the source.
    func makeReader(_ context: SourceReaderContext) throws -> any SourceReader
    /// What the source resolves to now (path, size, content hash), stored with a run.
    func identity() throws -> SourceIdentity
    /// Whether one record can be read again by its line (`baton replay` of bad records):
    /// files and inline items yes, a query no (its rows are not addressable one by one).
    var rereadsRecords: Bool { get }
    /// Whether what a run reads depends on what earlier runs of the pipeline read (a file set
    /// skips the files they read): two runs reading at once would both read what is new.
    var isSharedBetweenRuns: Bool { get }
}

extension SourceDefinition {
    package var isSharedBetweenRuns: Bool { false }
}
