import BatonJQ
import BatonPostgres
import Foundation
import Logging

/// Reads the pipeline's source and enqueues it as items of the first stage, chunk by chunk,
/// each chunk in one transaction that also records how far the source was read: a crash
/// resumes exactly after the last committed chunk.
///
/// An actor on a thread of its own: libpq calls block that thread only. The source is read
/// on the ``SeedChunkReader``'s thread, the next chunk while the database loads one.
actor Seeder {
    private let executor = DedicatedThreadExecutor(name: "baton-seed")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let pipeline: Pipeline
    private let runID: Int64
    private let database: ConnectionConfig
    private var connection: Connection?
    /// Reads the source, chunk by chunk, on a thread of its own.
    private let chunks: SeedChunkReader
    /// File sources are read a chunk ahead: one thrown away (a stop, a yield, another process
    /// seeded it) costs a re-read of a local file. A query or an HTTP source is read no further
    /// than the chunk being written: a page fetched twice is a request the API sees twice.
    private let readsAhead: Bool
    private let ids = BatchIDPool()
    /// The run was created to be seeded in bulk: its last chunk builds its indexes first.
    private let inBulk: Bool
    private let logger: Logger

    /// `shouldStop`: true once the run is stopping (a reader's long waits give up).
    init(pipeline: Pipeline, runID: Int64, database: ConnectionConfig, chunkSize: Int, inBulk: Bool = false,
         shouldStop: @escaping @Sendable () -> Bool = { false }, logger: Logger = Logger(label: "baton.seed")) throws {
        self.pipeline = pipeline
        self.runID = runID
        self.inBulk = inBulk
        self.database = database
        self.logger = logger
        readsAhead = pipeline.source.definition.isCheckedBeforeSeeding
        chunks = try SeedChunkReader(pipeline: pipeline, runID: runID, database: database, chunkSize: chunkSize,
                                     shouldStop: shouldStop, logger: logger)
    }

    deinit { executor.shutdown() }

    /// Checks every record of a file source before anything is enqueued, so a malformed
    /// line fails the run with nothing half-seeded (`on_error: fail`): see
    /// ``SeedChunkReader/validateWholeSource(progress:)``.
    @discardableResult
    func validateWholeSource(progress: (@Sendable (Int64) -> Bool)? = nil) async throws -> Int64? {
        try await chunks.validateWholeSource(progress: progress)
    }

    /// Where the next chunk starts (its state is a ``SeedState``); nil until read from the run.
    private var expected: SourcePosition?
    /// The chunk after the last one written, read on the reader's thread while the database
    /// loaded that one (or why it could not be read). Used only if the next chunk starts
    /// where it was read from.
    private var readAhead: (start: SourcePosition, chunk: Result<SeedChunk, any Error>)?

    /// Reads and enqueues one chunk. Returns true when the source is fully seeded (by this
    /// process or another one).
    func seedNext() async throws -> (done: Bool, inserted: Int) {
        if expected == nil {
            let stored = try storedPosition()
            if stored.done { return (true, 0) }
            expected = stored.position
        }
        var start = expected!
        var state = SeedState(text: start.state)
        // The cursor a run reads from is fixed when it starts and kept in its seed state, so
        // a resumed run reads exactly what the interrupted one would have.
        if state.cursor == nil, let incremental = pipeline.source.incremental {
            state.cursor = try startingCursor(incremental)
            start.state = state.text
        }
        let chunk: SeedChunk
        if let readAhead, readAhead.start == start {
            self.readAhead = nil
            chunk = try readAhead.chunk.get()
        } else {
            readAhead = nil
            chunk = try await chunks.read(from: start, startState: expected!.state, state: state)
        }
        if chunk.isLast { try checkUnchanged() }
        let conn = try self.connection ?? Connection(database)
        connection = conn
        let first = pipeline.stages[0]
        let target = SeedTarget(runID: runID, pipeline: pipeline.name, firstStage: first.name, maxAttempts: first.retry.maxAttempts,
                                batchSize: first.batchSize, dedupeWindow: pipeline.source.dedupeWindow)
        if chunk.isLast && inBulk { buildBulkIndexes(conn) }
        let next = SourcePosition(offset: chunk.endPosition, line: chunk.endLine, state: chunk.endState)
        // The next chunk is read meanwhile, on the reader's thread (a child task: an error
        // here waits for it, and it is thrown when that chunk is due).
        async let ahead = chunk.isLast || !readsAhead ? nil : Self.read(chunks, from: next)
        let outcome = try Store.seedChunk(conn, target: target, chunk: chunk, ids: ids)
        let read = await ahead
        switch outcome {
        case .seeded(let inserted, _, _):
            expected = next
            readAhead = read.map { (next, $0) }
            return (chunk.isLast, inserted)
        case .moved(let position, let line, let state, let done):
            // Another process seeded past us: continue from where it got to.
            expected = SourcePosition(offset: position, line: line, state: state)
            return (done, 0)
        }
    }

    /// The run's two indexes, side by side on this connection and one more
    /// (``Store/buildBulkIndexes(_:_:runID:)``), before its last chunk's transaction.
    private func buildBulkIndexes(_ conn: Connection) {
        let started = ContinuousClock.now
        do {
            let outcome = Store.buildBulkIndexes(conn, try Connection(database), runID: runID)
            for error in outcome.errors {
                logger.info("an index was not built ahead of the release, which builds it", metadata: ["run": "\(runID)", "error": "\(error)"])
            }
            logger.debug("bulk indexes built", metadata: ["run": "\(runID)", "built": "\(outcome.built)", "seconds": "\(ContinuousClock.now - started)"])
        } catch {
            logger.info("the indexes were not built ahead of the release, which builds them", metadata: ["run": "\(runID)", "error": "\(error)"])
        }
    }

    /// The chunk at `start`, or the error reading it.
    private nonisolated static func read(_ chunks: SeedChunkReader, from start: SourcePosition) async -> Result<SeedChunk, any Error> {
        do {
            return .success(try await chunks.read(from: start, startState: start.state, state: SeedState(text: start.state)))
        } catch {
            return .failure(error)
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

    /// Forgets the connection and the reader after an error: the next chunk reconnects and
    /// reopens the source at the position stored in the run.
    func reset() async {
        readAhead = nil
        await chunks.reset()
        connection = nil
        expected = nil
    }

    /// Removes the run if it is still seeded in bulk (``Store/discardBulkRun(_:runID:)``), on a
    /// connection of its own: the seeder's may be the one that failed.
    func discardBulkRun() throws -> Bool {
        connection = nil
        let conn = try Connection(database)
        return try Store.discardBulkRun(conn, runID: runID)
    }

    /// The run's seed position as stored.
    func storedPosition() throws -> (position: SourcePosition, done: Bool) {
        let conn = try self.connection ?? Connection(database)
        connection = conn
        guard let run = try Store.run(conn, id: runID) else { throw BatonError(.temporary, "run \(runID) no longer exists") }
        started = run.source
        return (run.seedPositionRecord, run.seedDone)
    }

    /// The source the run started with (its file's size), read with the stored position.
    private var started: SourceIdentity?

    /// At the end of a file source: the file still has the size it had when the run started
    /// (``SourceFile/requireUnchanged(_:size:since:)``). The last chunk is not enqueued.
    private func checkUnchanged() throws {
        guard let started, let path = started.path, ["jsonl", "csv"].contains(started.kind) else { return }
        try SourceFile.requireUnchanged(path, size: started.size, since: "the run started")
    }
}
