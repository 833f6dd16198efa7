package import BatonPostgres
import Foundation

/// A failed `bad record` item: a source record that could not be read as an item when the
/// run was seeded (`on_error: skip`), kept in the first stage as `line:N`.
package struct BadRecord: Sendable, Hashable {
    package var id: Int64
    /// The stage it is failed in (the run's first).
    package var stage: String
    /// Line (file sources) or position (inline items) of the record.
    package var line: Int64
    /// Why it was bad.
    package var error: String
}

/// What re-reading a bad record from the source as it is now gave.
package enum RereadRecord: Sendable, Hashable {
    /// The record is valid now: the item it becomes.
    case fixed(key: String, payload: String)
    /// Still not an item, with the reason as of now.
    case stillBad(error: String, raw: String?)
}

/// Reads a run's bad records again from the source as it is now (`baton replay`), in one
/// pass over the source: each line either parses now (and gets its real key, as seeding
/// would give it) or is still bad with the new error.
///
/// The pass goes from the start: after a fix the file differs, so byte offsets recorded when
/// it was seeded may point elsewhere; line numbers are what the bad records are known by.
package struct BadRecordRereader {
    let pipeline: Pipeline
    let database: ConnectionConfig

    package init(pipeline: Pipeline, database: ConnectionConfig) {
        self.pipeline = pipeline
        self.database = database
    }

    /// Outcomes by bad record id. Blocks the calling thread while it reads (call it off the
    /// cooperative pool).
    package func reread(_ records: [BadRecord]) throws -> [Int64: RereadRecord] {
        let definition = pipeline.source.definition
        let keying = try RecordKeying(program: pipeline.source.key)
        let reader = try definition.makeReader(SourceReaderContext(database: database, pipeline: pipeline.name, runID: 0))
        var outcomes: [Int64: RereadRecord] = [:]
        var current: SourceRecord?
        var lastLine: Int64 = 0
        for record in records.sorted(by: { $0.line < $1.line }) {
            while current.map({ $0.line < record.line }) ?? true {
                guard let next = try reader.next() else { current = nil; break }
                current = next
                lastLine = next.line
            }
            guard let found = current else {
                outcomes[record.id] = .stillBad(error: "\(definition.displayName) has no record at line \(record.line) any more (the last is at line \(lastLine))", raw: nil)
                continue
            }
            guard found.line == record.line else {
                outcomes[record.id] = .stillBad(error: "line \(record.line) of \(definition.displayName) no longer starts a record (the file changed around it)", raw: nil)
                continue
            }
            outcomes[record.id] = outcome(of: found, keying: keying)
        }
        return outcomes
    }

    /// As seeding would take the record: its key, or why it is not an item.
    private func outcome(of record: SourceRecord, keying: RecordKeying) -> RereadRecord {
        if let error = record.error { return .stillBad(error: error, raw: record.raw) }
        guard let text = record.payload else { return .stillBad(error: "the record is empty", raw: nil) }
        let admitted: (key: String, payload: String)
        do {
            admitted = try keying.admit(record)!
        } catch {
            return .stillBad(error: (error as? StageError)?.message ?? String(describing: error), raw: String(text.prefix(1000)))
        }
        if let problem = RecordKeying.storageProblem(payload: text, key: admitted.key) {
            return .stillBad(error: problem, raw: String(text.prefix(1000)))
        }
        return .fixed(key: admitted.key, payload: admitted.payload)
    }
}
