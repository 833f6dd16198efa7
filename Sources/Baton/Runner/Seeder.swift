import BatonPostgres
import Foundation

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
    private let keys: JQProgramPool?

    init(pipeline: Pipeline, runID: Int64, database: ConnectionConfig, chunkSize: Int) throws {
        self.pipeline = pipeline
        self.runID = runID
        self.database = database
        self.chunkSize = chunkSize
        keys = try pipeline.source.key.map { try JQProgramPool($0) }
    }

    deinit { executor.shutdown() }

    private var sourceName: String { pipeline.source.definition.displayName }

    private func openReader() throws -> any SourceReader {
        try pipeline.source.definition.makeReader(database: database)
    }

    /// Checks every record of a file source before anything is enqueued, so a malformed
    /// line fails the run with nothing half-seeded (`on_error: fail`). Throws ``BatonError``
    /// `.data` naming the file and line. Returns how many records the source has (nil when
    /// it is not checked); `progress` hears the count every 10 000 records and stops the
    /// check (``CancellationError``) by returning false.
    @discardableResult
    func validateWholeSource(progress: (@Sendable (Int64) -> Bool)? = nil) throws -> Int64? {
        guard pipeline.source.definition.isCheckedBeforeSeeding else { return nil }
        let reader = try openReader()
        var count: Int64 = 0
        while let record = try reader.next() {
            count += 1
            if count % 10_000 == 0, let progress, !progress(count) { throw CancellationError() }
            if let error = record.error {
                throw BatonError(.data, "\(sourceName):\(record.line): \(error)")
            }
            if let payload = record.payload, let keys {
                do {
                    _ = try keys.singleText(json: payload, what: "source key")
                } catch {
                    throw BatonError(.data, "\(sourceName):\(record.line): \(error)")
                }
            }
        }
        return count
    }

    /// Where the next chunk starts; nil until read from the run.
    private var expected: (position: Int64, line: Int64)?

    /// Reads and enqueues one chunk. Returns true when the source is fully seeded (by this
    /// process or another one).
    func seedNext() throws -> (done: Bool, inserted: Int) {
        if expected == nil {
            let stored = try storedPosition()
            if stored.done { return (true, 0) }
            expected = (stored.position, stored.line)
        }
        let start = expected!
        if reader == nil || reader!.position != start.position {
            let reader = try self.reader ?? openReader()
            try reader.resume(position: start.position, line: start.line)
            self.reader = reader
        }
        let reader = self.reader!
        var chunk = SeedChunk(startPosition: start.position, startLine: start.line, endPosition: 0, endLine: 0, isLast: false)
        var bytes = 0
        while chunk.records.count < chunkSize && bytes < 8 << 20 {
            guard let record = try reader.next() else {
                chunk.isLast = true
                break
            }
            bytes += record.payload?.utf8.count ?? 0
            chunk.records.append(try prepare(record))
        }
        chunk.endPosition = reader.position
        chunk.endLine = reader.line
        let conn = try self.connection ?? Connection(database)
        connection = conn
        let outcome = try Store.seedChunk(
            conn, runID: runID, pipeline: pipeline.name, firstStage: pipeline.stages[0].name,
            maxAttempts: pipeline.stages[0].retry.maxAttempts, chunk: chunk, dedupeWindow: pipeline.source.dedupeWindow
        )
        switch outcome {
        case .seeded(let inserted, _, _):
            expected = (chunk.endPosition, chunk.endLine)
            return (chunk.isLast, inserted)
        case .moved(let position, let line, let done):
            // Another process seeded past us: continue from where it got to.
            expected = (position, line)
            return (done, 0)
        }
    }

    /// A record with its key, or marked malformed; `on_error: fail` turns a malformed record
    /// into an error.
    private func prepare(_ record: SourceRecord) throws -> SeedChunk.Record {
        var error = record.error
        var key: String?
        if error == nil, let payload = record.payload {
            if let keys {
                do {
                    key = try keys.singleText(json: payload, what: "source key")
                } catch {
                    let message = (error as? StageError)?.message ?? String(describing: error)
                    if pipeline.source.onError == .fail {
                        throw BatonError(.data, "\(sourceName):\(record.line): \(message)")
                    }
                    return SeedChunk.Record(key: nil, payload: nil, line: record.line, error: message, raw: String(payload.prefix(1000)))
                }
            } else {
                key = StableHash.hex(payload)
            }
            // What Postgres would refuse would fail the whole chunk: make it a bad record.
            if payload.contains("\\u0000") {
                error = "the record contains a NUL character (\\u0000), which Postgres cannot store"
                key = nil
            } else if let long = key, long.utf8.count > 1000 {
                error = "the key is \(long.utf8.count) bytes long (1000 at most)"
                key = nil
            }
        }
        if let message = error {
            if pipeline.source.onError == .fail {
                throw BatonError(.data, "\(sourceName):\(record.line): \(message)")
            }
            error = message
        }
        return SeedChunk.Record(
            key: key, payload: error == nil ? record.payload : nil, line: record.line,
            error: error.map { ItemFailure.storable($0, limit: 2000) }, raw: record.raw.map { ItemFailure.storable($0, limit: 1000) }
        )
    }

    /// Forgets the connection and the reader after an error: the next chunk reconnects and
    /// reopens the source at the position stored in the run.
    func reset() {
        connection = nil
        reader = nil
        expected = nil
    }

    /// The run's seed position as stored.
    func storedPosition() throws -> (position: Int64, line: Int64, done: Bool) {
        let conn = try self.connection ?? Connection(database)
        connection = conn
        guard let run = try Store.run(conn, id: runID) else { throw BatonError(.temporary, "run \(runID) no longer exists") }
        return (run.seedPosition, run.seedLine, run.seedDone)
    }
}
