import BatonJQ
import BatonPostgres
import Foundation
import Logging

/// Reads a pipeline's source for the ``Seeder``: chunks of prepared records (keyed, checked,
/// their cursor values computed), from a given position.
///
/// An actor on a thread of its own, so the next chunk is read while the seeder's thread
/// waits for the database to load the one before. Every read names where it starts: the
/// reader is reopened or moved when it is somewhere else, so a read ahead that is thrown
/// away (another process seeded it, a reconnect) never shifts what comes next.
actor SeedChunkReader {
    private let executor = DedicatedThreadExecutor(name: "baton-seedread")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let pipeline: Pipeline
    private let runID: Int64
    private let database: ConnectionConfig
    private let chunkSize: Int
    private var reader: (any SourceReader)?
    /// The cursor `reader` was opened with (incremental sources).
    private var readerCursor: String?
    private let keying: RecordKeying
    /// Incremental sources: each record's cursor value.
    private let cursors: JQProgramPool?
    private let shouldStop: @Sendable () -> Bool
    private let logger: Logger

    init(pipeline: Pipeline, runID: Int64, database: ConnectionConfig, chunkSize: Int,
         shouldStop: @escaping @Sendable () -> Bool, logger: Logger) throws {
        self.pipeline = pipeline
        self.runID = runID
        self.database = database
        self.chunkSize = chunkSize
        self.shouldStop = shouldStop
        self.logger = logger
        keying = try RecordKeying(program: pipeline.source.key)
        cursors = try pipeline.source.incremental.map { try JQProgramPool($0.cursor) }
    }

    deinit { executor.shutdown() }

    private var sourceName: String { pipeline.source.definition.displayName }

    /// `record` cannot be enqueued (`on_error: fail`), for `problem`: named by file and line.
    private func badRecord(_ record: SourceRecord, _ problem: String) -> BatonError {
        BatonError.badRecord(at: "\(record.file ?? sourceName):\(record.line)", problem)
    }

    private func openReader(cursor: String?) throws -> any SourceReader {
        try pipeline.source.definition.makeReader(SourceReaderContext(
            database: database, pipeline: pipeline.name, runID: runID, cursor: cursor, shouldStop: shouldStop, logger: logger
        ))
    }

    /// Checks every record of a file source before anything is enqueued, so a malformed
    /// line fails the run with nothing half-seeded (`on_error: fail`). Throws ``BatonError``
    /// `.data` naming the file and line. Returns how many records the source has (nil when
    /// it is not checked); `progress` hears the count every 10 000 records and stops the
    /// check (``CancellationError``) by returning false.
    @discardableResult
    func validateWholeSource(progress: (@Sendable (Int64) -> Bool)? = nil) throws -> Int64? {
        guard pipeline.source.definition.isCheckedBeforeSeeding else { return nil }
        let reader = try openReader(cursor: nil)
        var count: Int64 = 0
        while let record = try reader.next() {
            count += 1
            if count % 10_000 == 0, let progress, !progress(count) { throw CancellationError() }
            // Exactly what seeding does with the record (with `on_error: fail` it throws for a
            // malformed record, a key error, a NUL or an over-long key alike): once only the
            // first two were checked here, and a NUL at line 12 001 was met after 10 000 records
            // were enqueued and 1 400 of them loaded.
            if let error = record.error {
                throw badRecord(record, error)
            }
            _ = try prepare(record)
        }
        return count
    }

    /// The chunk that starts at `start` (offset and line; its reader state is `state.reader`),
    /// reading with `state.cursor`. `startState` is the run's stored seed state there, which
    /// the chunk's transaction checks.
    func read(from start: SourcePosition, startState: String?, state: SeedState) throws -> SeedChunk {
        let cursor = state.cursor
        let readerPosition = SourcePosition(offset: start.offset, line: start.line, state: state.reader)
        if reader == nil || readerCursor != cursor || reader!.position != readerPosition {
            if reader == nil || readerCursor != cursor {
                reader = nil
                reader = try openReader(cursor: cursor)
                readerCursor = cursor
            }
            try reader!.resume(at: readerPosition)
        }
        let reader = self.reader!
        var chunk = SeedChunk(startPosition: start.offset, startLine: start.line, endPosition: 0, endLine: 0, isLast: false)
        chunk.startState = startState
        var highest: String?
        var bytes = 0
        while chunk.records.count < chunkSize && bytes < 8 << 20 {
            guard let record = try reader.next() else {
                chunk.isLast = true
                break
            }
            bytes += record.payload?.utf8.count ?? 0
            let prepared = try prepare(record)
            if let value = prepared.cursor, let kind = pipeline.source.incremental?.kind,
               highest.map({ CursorValue.isLess($0, value, kind: kind) }) ?? true {
                highest = value
            }
            chunk.records.append(prepared)
            if reader.endsChunk { break }
        }
        let end = reader.position
        chunk.endPosition = end.offset
        chunk.endLine = end.line
        chunk.endState = SeedState(cursor: cursor, reader: end.state).text
        chunk.finishedFiles = reader.takeFinishedFiles()
        if let incremental = pipeline.source.incremental {
            chunk.cursor = SeedChunk.CursorUpdate(kind: incremental.kind, highest: highest)
        }
        // Here, not in the chunk's transaction: read ahead, the rows are made while the
        // database loads the chunk before (9 ms of every 50 000-record bulk chunk's 75).
        chunk.prepare(batchSize: pipeline.stages[0].batchSize)
        return chunk
    }

    /// Forgets the reader: the next read reopens the source.
    func reset() {
        reader = nil
        readerCursor = nil
    }

    /// A record with its key, or marked malformed; `on_error: fail` turns a malformed record
    /// into an error.
    private func prepare(_ record: SourceRecord) throws -> SeedChunk.Record {
        var error = record.error
        var key: String?
        var cursor: String?
        var raw = record.raw
        var payload = record.payload
        if error == nil, let text = payload {
            do {
                (key, payload) = try keying.admit(record) ?? (nil, nil)
            } catch {
                let message = (error as? StageError)?.message ?? String(describing: error)
                if pipeline.source.onError == .fail {
                    throw badRecord(record, message)
                }
                return SeedChunk.Record(key: record.file.map { "\($0):line:\(record.line)" }, payload: nil, line: record.line,
                                        error: message, raw: String(text.prefix(1000)))
            }
            if let cursors, let incremental = pipeline.source.incremental {
                switch Self.cursor(of: text, cursors, incremental) {
                case .success(let value): cursor = value
                case .failure(let problem):
                    error = problem.message
                    raw = String(text.prefix(1000))
                }
            }
            // What Postgres would refuse would fail the whole chunk: make it a bad record.
            if error == nil, let problem = RecordKeying.storageProblem(payload: text, key: key ?? "") {
                error = problem
                raw = String(text.prefix(1000))  // kept for `failures`, as for a record that is no JSON
            }
            if error != nil { key = nil }
        }
        if let message = error {
            if pipeline.source.onError == .fail {
                throw badRecord(record, message)
            }
            error = message
            // Records of a file set fail under a key naming their file (`line:N` would collide).
            key = record.file.map { "\($0):line:\(record.line)" }
        }
        return SeedChunk.Record(
            key: key, payload: error == nil ? payload : nil, line: record.line,
            error: error.map { ItemFailure.storable($0, limit: 2000) },
            raw: raw.map { ItemFailure.storable($0, limit: 1000) },
            cursor: error == nil ? cursor : nil
        )
    }

    /// A record's cursor value as canonical text, or why it has none.
    private static func cursor(of payload: String, _ program: JQProgramPool, _ incremental: IncrementalSpec) -> Result<String, CursorProblem> {
        let outputs: [JSON]
        do {
            outputs = try program.values(json: payload)
        } catch {
            return .failure(CursorProblem(message: "the incremental cursor `\(incremental.cursor)` failed: \((error as? JQError)?.message ?? "\(error)")"))
        }
        guard outputs.count == 1, let text = outputs[0].plainText else {
            let found = outputs.count == 1 ? "null" : "\(outputs.count) values"
            return .failure(CursorProblem(message: "the incremental cursor `\(incremental.cursor)` gave \(found), expected one value"))
        }
        guard let value = CursorValue.canonical(text, kind: incremental.kind) else {
            return .failure(CursorProblem(message: "the incremental cursor `\(incremental.cursor)` gave `\(text.prefix(60))`, not a \(incremental.kind.rawValue)"))
        }
        return .success(value)
    }

    private struct CursorProblem: Error { var message: String }
}
