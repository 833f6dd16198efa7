import BatonJQ
import BatonPostgres
import Foundation
import Logging

/// Reads the pipeline's source and enqueues it as items of the first stage, chunk by chunk,
/// each chunk in one transaction that also records how far the source was read: a crash
/// resumes exactly after the last committed chunk.
///
/// An actor on a thread of its own: file reads and libpq calls block that thread only.
actor Seeder {
    private let executor = DedicatedThreadExecutor(name: "baton-seed")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let pipeline: Pipeline
    private let runID: Int64
    private let database: ConnectionConfig
    private let chunkSize: Int
    private var connection: Connection?
    private var reader: (any SourceReader)?
    /// The cursor `reader` was opened with (incremental sources).
    private var readerCursor: String?
    private let keying: RecordKeying
    private let ids = BatchIDPool()
    /// Incremental sources: each record's cursor value.
    private let cursors: JQProgramPool?
    private let shouldStop: @Sendable () -> Bool
    private let logger: Logger

    /// `shouldStop`: true once the run is stopping (a reader's long waits give up).
    init(pipeline: Pipeline, runID: Int64, database: ConnectionConfig, chunkSize: Int,
         shouldStop: @escaping @Sendable () -> Bool = { false }, logger: Logger = Logger(label: "baton.seed")) throws {
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
            if let error = record.error {
                throw BatonError(.data, "\(record.file ?? sourceName):\(record.line): \(error)")
            }
            if record.payload != nil, keying.keys != nil {
                do {
                    _ = try keying.admit(record)
                } catch {
                    throw BatonError(.data, "\(record.file ?? sourceName):\(record.line): \(error)")
                }
            }
        }
        return count
    }

    /// Where the next chunk starts (its state is a ``SeedState``); nil until read from the run.
    private var expected: SourcePosition?

    /// Reads and enqueues one chunk. Returns true when the source is fully seeded (by this
    /// process or another one).
    func seedNext() throws -> (done: Bool, inserted: Int) {
        if expected == nil {
            let stored = try storedPosition()
            if stored.done { return (true, 0) }
            expected = stored.position
        }
        let start = expected!
        let state = SeedState(text: start.state)
        // The cursor a run reads from is fixed when it starts and kept in its seed state, so
        // a resumed run reads exactly what the interrupted one would have.
        var cursor = state.cursor
        if cursor == nil, let incremental = pipeline.source.incremental {
            cursor = try startingCursor(incremental)
        }
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
        chunk.startState = start.state
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
        let conn = try self.connection ?? Connection(database)
        connection = conn
        let first = pipeline.stages[0]
        let target = SeedTarget(runID: runID, pipeline: pipeline.name, firstStage: first.name, maxAttempts: first.retry.maxAttempts,
                                batchSize: first.batchSize, dedupeWindow: pipeline.source.dedupeWindow)
        let outcome = try Store.seedChunk(conn, target: target, chunk: chunk, ids: ids)
        switch outcome {
        case .seeded(let inserted, _, _):
            expected = SourcePosition(offset: chunk.endPosition, line: chunk.endLine, state: chunk.endState)
            return (chunk.isLast, inserted)
        case .moved(let position, let line, let state, let done):
            // Another process seeded past us: continue from where it got to.
            expected = SourcePosition(offset: position, line: line, state: state)
            return (done, 0)
        }
    }

    /// The cursor a new run of an incremental source reads from: the pipeline's stored cursor
    /// minus the lookback, or `initial` (also when the stored one is of another kind).
    private func startingCursor(_ incremental: IncrementalSpec) throws -> String {
        let conn = try self.connection ?? Connection(database)
        connection = conn
        let stored = try Store.cursor(conn, pipeline: pipeline.name)
        if let stored, stored.kind != incremental.kind {
            logger.warning("the stored cursor of pipeline \(pipeline.name) is a \(stored.kind.rawValue), the pipeline's a \(incremental.kind.rawValue): starting from `initial`")
            return incremental.initial
        }
        return incremental.start(from: stored?.value)
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
                    throw BatonError(.data, "\(record.file ?? sourceName):\(record.line): \(message)")
                }
                return SeedChunk.Record(key: record.file.map { "\($0):line:\(record.line)" }, payload: nil, line: record.line,
                                        error: message, raw: String(text.prefix(1000)))
            }
            if let cursors, let incremental = pipeline.source.incremental {
                switch Seeder.cursor(of: text, cursors, incremental) {
                case .success(let value): cursor = value
                case .failure(let problem):
                    error = problem.message
                    raw = String(text.prefix(1000))
                }
            }
            // What Postgres would refuse would fail the whole chunk: make it a bad record.
            if error == nil, let problem = RecordKeying.storageProblem(payload: text, key: key ?? "") {
                error = problem
            }
            if error != nil { key = nil }
        }
        if let message = error {
            if pipeline.source.onError == .fail {
                throw BatonError(.data, "\(record.file ?? sourceName):\(record.line): \(message)")
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

    /// Forgets the connection and the reader after an error: the next chunk reconnects and
    /// reopens the source at the position stored in the run.
    func reset() {
        connection = nil
        reader = nil
        readerCursor = nil
        expected = nil
    }

    /// The run's seed position as stored.
    func storedPosition() throws -> (position: SourcePosition, done: Bool) {
        let conn = try self.connection ?? Connection(database)
        connection = conn
        guard let run = try Store.run(conn, id: runID) else { throw BatonError(.temporary, "run \(runID) no longer exists") }
        return (run.seedPositionRecord, run.seedDone)
    }
}
