package import BatonPostgres
import BatonJQ

/// A run of consecutive source records, seeded in one transaction.
package struct SeedChunk: Sendable {
    package struct Record: Sendable {
        /// The item's key; for a malformed record nil (`line:N`) or the failed item's key.
        package var key: String?
        /// The item's JSON, nil when malformed.
        package var payload: String?
        package var line: Int64
        /// Why the record is malformed.
        package var error: String?
        package var raw: String?
        /// Incremental sources: the record's cursor value (canonical text).
        package var cursor: String?

        package init(key: String?, payload: String?, line: Int64, error: String? = nil, raw: String? = nil, cursor: String? = nil) {
            self.key = key
            self.payload = payload
            self.line = line
            self.error = error
            self.raw = raw
            self.cursor = cursor
        }
    }
    package var records: [Record] = []
    /// Reader position and line before the first record of the chunk.
    package var startPosition: Int64
    package var startLine: Int64
    /// Reader position and line after the last record.
    package var endPosition: Int64
    package var endLine: Int64
    /// The source has no more records after this chunk.
    package var isLast: Bool
    /// The reader's state before and after the chunk (``SourcePosition/state``).
    package var startState: String?
    package var endState: String?
    /// Incremental sources: the highest cursor value of the chunk's records. Stored as the
    /// pipeline's cursor unless a higher one is stored; the records' (key, cursor) pairs are
    /// remembered, and records seen before with the same pair are skipped.
    package var cursor: CursorUpdate?
    /// Files whose last record is in this chunk (file sets): remembered as read.
    package var finishedFiles: [SourceFile] = []
    /// The rows made of the records, made ahead on the reader's thread (``prepare(batchSize:)``)
    /// so that the chunk's transaction does not wait for them; made there otherwise.
    var plan: SeedPlan?

    /// Makes the chunk's rows now, for batches of `batchSize` items (clamped as a
    /// ``SeedTarget`` clamps it).
    mutating func prepare(batchSize: Int) {
        plan = SeedPlan(chunk: self, batchSize: SeedTarget.clamped(batchSize))
    }

    /// The cursor update of a seeded chunk.
    package struct CursorUpdate: Sendable, Hashable {
        package var kind: CursorKind
        /// Canonical text (``CursorValue``); nil when no record of the chunk had one.
        package var highest: String?

        package init(kind: CursorKind, highest: String?) {
            self.kind = kind
            self.highest = highest
        }
    }

    package init(records: [Record] = [], startPosition: Int64, startLine: Int64, endPosition: Int64, endLine: Int64, isLast: Bool) {
        self.records = records
        self.startPosition = startPosition
        self.startLine = startLine
        self.endPosition = endPosition
        self.endLine = endLine
        self.isLast = isLast
    }
}

package enum SeedOutcome: Sendable, Equatable {
    /// The chunk was enqueued. `deduplicated` counts records skipped because their key was
    /// already in the run, or (with `dedupe`) taken by a recent run of the pipeline.
    case seeded(inserted: Int, deduplicated: Int, malformed: Int)
    /// Another process seeded past this point (or finished): continue from there.
    case moved(position: Int64, line: Int64, state: String?, done: Bool)
}

/// Where the first stage's items go and how they are grouped.
package struct SeedTarget: Sendable {
    package var runID: Int64
    package var pipeline: String
    package var firstStage: String
    package var maxAttempts: Int
    /// Items per batch of the first stage.
    package var batchSize: Int
    package var dedupeWindow: Duration?

    package init(runID: Int64, pipeline: String, firstStage: String, maxAttempts: Int, batchSize: Int, dedupeWindow: Duration?) {
        self.runID = runID
        self.pipeline = pipeline
        self.firstStage = firstStage
        self.maxAttempts = maxAttempts
        self.batchSize = Self.clamped(batchSize)
        self.dedupeWindow = dedupeWindow
    }

    static func clamped(_ batchSize: Int) -> Int { max(1, min(batchSize, Store.maxBatchSize)) }
}

extension Store {
    /// Enqueues a chunk of source records as items of the first stage, and moves the run's
    /// seed position past them, in one transaction (so a crash never seeds a record twice or
    /// skips one). Refuses (``SeedOutcome/moved``) if the run's position is not where the
    /// chunk starts: two processes seeding one run never interleave.
    ///
    /// Fast path: the records are copied straight into the run's item table (keys repeated
    /// within the chunk are dropped first). A key already seeded by an earlier chunk makes the
    /// copy fail; the chunk is then loaded through a staging table with `ON CONFLICT DO NOTHING`,
    /// as it always is with a `dedupe` window.
    package static func seedChunk(_ conn: Connection, target: SeedTarget, chunk: SeedChunk, ids: BatchIDPool) throws -> SeedOutcome {
        do {
            // Incremental sources go through the staging table: their seen keys are skipped there.
            if target.dedupeWindow == nil && chunk.cursor == nil {
                return try seedTransaction(conn, target: target, chunk: chunk, ids: ids, staged: false)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            conn.rollbackQuietly()
        }
        return try seedTransaction(conn, target: target, chunk: chunk, ids: ids, staged: true)
    }

    private static func seedTransaction(_ conn: Connection, target: SeedTarget, chunk: SeedChunk, ids: BatchIDPool, staged: Bool) throws -> SeedOutcome {
        try conn.transaction { conn in
            // A paused seeder holding the run row must not block the others for long (and the
            // server ends its transaction after idle_in_transaction_session_timeout).
            let results = try conn.pipeline([
                .init("SET LOCAL lock_timeout = '10s'"),
                .init("""
                    SELECT seed_position, seed_line, seed_done, seed_state, bulk_max_attempts IS NOT NULL FROM baton.runs
                    WHERE id = $1 FOR NO KEY UPDATE
                    """, [target.runID]),
            ])
            guard let current = results[1].rows.first else { throw BatonError(.temporary, "run \(target.runID) no longer exists") }
            let position = try current.decode(Int64.self, 0)
            let line = try current.decode(Int64.self, 1)
            let done = try current.decode(Bool.self, 2)
            let state = try current.decode(String?.self, 3)
            guard !done, position == chunk.startPosition, state == chunk.startState else {
                return .moved(position: position, line: line, state: state, done: done)
            }
            var bulk = try current.decode(Bool.self, 4)
            if bulk && staged {
                // The staging path needs the run's unique index (a pipeline file changed to a
                // `dedupe` window or a cursor while its run was seeded in bulk): release first.
                try conn.query("SELECT baton.release_bulk_seed($1)", [target.runID], timeout: Store.bulkReleaseTimeout)
                bulk = false
            }
            var plan = chunk.plan.flatMap { $0.batchSize == target.batchSize ? $0 : nil }
                ?? SeedPlan(chunk: chunk, batchSize: target.batchSize)
            let batchIDs = try ids.take(plan.batchCount, conn)
            plan.assign(batchIDs)
            let inserted = staged
                ? try seedStaged(conn, target: target, plan: plan, cursors: chunk.cursor != nil)
                : try seedDirect(conn, target: target, plan: plan, addBatches: !bulk)
            var deduplicated = plan.good.count - inserted + plan.repeated
            if let cursor = chunk.cursor {
                try rememberCursorKeys(conn, pipeline: target.pipeline, runID: target.runID)
                if let highest = cursor.highest {
                    try advanceCursor(conn, pipeline: target.pipeline, kind: cursor.kind, to: highest, runID: target.runID)
                }
            }
            if !chunk.finishedFiles.isEmpty {
                try rememberFiles(conn, pipeline: target.pipeline, runID: target.runID, chunk.finishedFiles)
            }
            var statements: [Connection.PipelineStatement] = [.init("""
                UPDATE baton.runs
                SET seed_position = $2, seed_line = $3, seeded = seeded + $4, seed_done = $5, seed_state = $6, updated_at = now(),
                    seed_started_at = coalesce(seed_started_at, now()), seed_finished_at = CASE WHEN $5 THEN now() END
                WHERE id = $1
                """, [target.runID, chunk.endPosition, chunk.endLine, inserted, chunk.isLast, chunk.endState])]
            if deduplicated > 0 {
                statements.append(.init("""
                    INSERT INTO baton.counters (run_id, stage, counter, amount) VALUES ($1, $2, 'deduplicated', $3)
                    """, [target.runID, target.firstStage, deduplicated]))
            }
            if bulk && !chunk.isLast {
                // Not flushed before the answer: nothing of a run seeded in bulk is visible
                // until its last chunk, whose commit is flushed and with it every earlier one.
                // A crash that loses such a commit loses its rows and its seed position alike,
                // and seeding resumes from the position that stayed (``Seeder/reset()``).
                statements.append(.init("SET LOCAL synchronous_commit = off"))
            }
            var release: Int?
            if bulk && chunk.isLast {
                release = statements.count
                // The last chunk of a bulk seeding: the run's table gets its indexes, its place
                // under baton.item_rows and its batches, in this transaction.
                statements.append(.init("SELECT baton.release_bulk_seed($1)", [target.runID]))
                // No check counted the source before the run: its records are the items and the
                // duplicates dropped.
                statements.append(.init("""
                    UPDATE baton.runs SET source_total = coalesce(source_total,
                        (SELECT coalesce(sum(size), 0) FROM baton.batches WHERE run_id = $1)
                        + (SELECT coalesce(sum(amount), 0) FROM baton.counters WHERE run_id = $1 AND counter = 'deduplicated'))
                    WHERE id = $1
                    """, [target.runID]))
            }
            // Building the indexes takes seconds per million items: more than one answer's usual bound.
            let written = try conn.pipeline(statements, timeout: bulk && chunk.isLast ? Store.bulkReleaseTimeout : nil)
            if let release, let dropped = try written[release].rows.first?.decode(Int.self, 0) {
                deduplicated += dropped
            }
            return .seeded(inserted: inserted, deduplicated: deduplicated, malformed: plan.bad.count)
        }
    }

    /// How long the transaction releasing a bulk seeding (index builds over every item of the
    /// run) may take to answer: about a minute per 10 000 000 items on the bench's machine.
    static let bulkReleaseTimeout: Duration = .seconds(900)

    /// Removes a run still seeded in bulk, with its item table: a record of its source cannot
    /// be enqueued (``BatonError/isBadRecord``), and until its release nothing of it was
    /// visible or claimable, so nothing is left behind, as when the record is found by the
    /// check before a run exists. Returns false, and removes nothing, for a run not (or no
    /// longer) in bulk.
    package static func discardBulkRun(_ conn: Connection, runID: Int64) throws -> Bool {
        try conn.transaction { conn in
            let bulk = try conn.query("SELECT bulk_max_attempts IS NOT NULL FROM baton.runs WHERE id = $1 FOR UPDATE", [runID])
                .rows.first?.decode(Bool.self, 0) ?? false
            guard bulk else { return false }
            try conn.query("DELETE FROM baton.runs WHERE id = $1", [runID])
            try conn.execute("DROP TABLE IF EXISTS baton.item_rows_\(runID)")
            return true
        }
    }

    /// Before the last chunk of a run seeded in bulk: builds its two indexes side by side, one
    /// on each connection (``Migrations/bulkIndexes``), so that chunk's release only adds their
    /// constraints. Returns how many were built (none for a run not, or no longer, in bulk, or
    /// with nothing seeded yet) and why any could not be. Each build commits on its own and
    /// the release builds what is missing, so a failed build (a key seeded twice, a lost
    /// connection) only costs time.
    package static func buildBulkIndexes(_ conn: Connection, _ other: Connection, runID: Int64) -> (built: Int, errors: [any Error]) {
        let seeded: Bool
        do {
            seeded = try conn.query("""
                SELECT EXISTS (SELECT 1 FROM baton.runs WHERE id = $1 AND bulk_max_attempts IS NOT NULL AND seeded > 0)
                """, [runID]).rows.first?.decode(Bool.self, 0) ?? false
        } catch {
            return (0, [error])
        }
        guard seeded else { return (0, []) }
        let outcomes = Connection.executeTogether([
            (conn, "SELECT baton.build_bulk_index(\(runID), true)"),
            (other, "SELECT baton.build_bulk_index(\(runID), false)"),
        ], timeout: bulkReleaseTimeout)
        var built = 0
        var errors: [any Error] = []
        for outcome in outcomes {
            do {
                if try outcome.get().rows.first?.decode(Bool.self, 0) == true { built += 1 }
            } catch {
                errors.append(error)
            }
        }
        return (built, errors)
    }

    /// COPY into the run's table, then the batches (sizes known: nothing is skipped); for a run
    /// seeded in bulk they are kept aside until its release.
    private static func seedDirect(_ conn: Connection, target: SeedTarget, plan: SeedPlan, addBatches: Bool) throws -> Int {
        // Binary: no escaping here, no parsing of numbers there (with the text format this
        // loop was half of the seeding thread's time in a bulk seeding of a million records).
        let columns = "run_id, id, stage, key, payload, batch_id, outcome, error, error_class"
        try conn.copyIn("COPY baton.item_rows_\(target.runID) (\(columns)) FROM STDIN (FORMAT binary)", format: .binary) { writer in
            for row in plan.rows {
                let bad = row.error != nil
                writer.beginBinaryRow(fields: 9)
                writer.appendBinary(target.runID)
                writer.appendBinary(row.id)
                writer.appendBinary(target.firstStage)
                writer.appendBinary(row.key)
                writer.appendBinary(row.payload)
                writer.appendBinary(row.batch)
                writer.appendBinary(bad ? "failed" : nil)
                writer.appendBinary(row.error)
                writer.appendBinary(bad ? "bad record" : nil)
                try writer.endRow()
            }
        }
        let batches = plan.batchSizes
        if addBatches {
            try insertBatches(conn, target: target, batches: batches)
        } else {
            try keepBulkBatches(conn, target: target, batches: batches)
        }
        return plan.good.count
    }

    /// Through a staging table: keys already in the run (or, with `dedupe`, taken by a recent
    /// run of the pipeline) are skipped; batch sizes count what was inserted.
    private static func seedStaged(_ conn: Connection, target: SeedTarget, plan: SeedPlan, cursors: Bool) throws -> Int {
        try conn.execute("""
            CREATE TEMP TABLE IF NOT EXISTS baton_seed (id bigint, key text, payload text, batch bigint, error text, line bigint, cursor text)
            ON COMMIT DELETE ROWS
            """)
        try conn.copyIn("COPY baton_seed (id, key, payload, batch, error, line, cursor) FROM STDIN") { writer in
            for row in plan.rows {
                try writer.appendRow([String(row.id), row.key, row.payload, String(row.batch), row.error, String(row.line), row.cursor])
            }
        }
        if cursors { try skipSeenCursorKeys(conn, pipeline: target.pipeline) }
        let claimed = target.dedupeWindow.map { window in """
            claimed AS (
                INSERT INTO baton.dedupe (pipeline, key, run_id, recorded_at)
                SELECT $3, key, $1, now() FROM (SELECT DISTINCT key FROM baton_seed WHERE error IS NULL) k
                ON CONFLICT (pipeline, key) DO UPDATE
                SET run_id = excluded.run_id, recorded_at = excluded.recorded_at
                WHERE baton.dedupe.run_id = excluded.run_id
                   OR baton.dedupe.recorded_at < now() - \(Int(window.milliseconds)) * interval '1 millisecond'
                RETURNING key
            ),
            """ } ?? ""
        let filter = target.dedupeWindow == nil ? "" : " AND (s.error IS NOT NULL OR s.key IN (SELECT key FROM claimed))"
        var parameters: [any PostgresEncodable] = [target.runID, target.firstStage]
        if target.dedupeWindow != nil { parameters.append(target.pipeline) }
        let counts = try conn.query("""
            WITH \(claimed)ins AS (
                INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id, outcome, error, error_class)
                SELECT $1, s.id, $2, s.key, s.payload, s.batch,
                       CASE WHEN s.error IS NOT NULL THEN 'failed' END, s.error, CASE WHEN s.error IS NOT NULL THEN 'bad record' END
                FROM baton_seed s WHERE true\(filter)
                ON CONFLICT (run_id, stage, key) DO NOTHING
                RETURNING batch_id, outcome
            )
            SELECT batch_id, count(*), count(*) FILTER (WHERE outcome = 'failed') FROM ins GROUP BY 1
            """, parameters).rows.map { (try $0.decode(Int64.self, 0), try $0.decode(Int.self, 1), try $0.decode(Int.self, 2)) }
        try insertBatches(conn, target: target, batches: counts)
        return counts.reduce(0) { $0 + $1.1 - $1.2 }
    }

    /// The first stage's batches: pending, or (bad records only) done with them failed.
    private static func insertBatches(_ conn: Connection, target: SeedTarget, batches: [(batch: Int64, size: Int, failed: Int)]) throws {
        guard !batches.isEmpty else { return }
        try conn.query("""
            INSERT INTO baton.batches (id, run_id, stage, max_attempts, size, failed, state, finished_at)
            SELECT b.id, $1, $2, $3, b.size, b.failed, CASE WHEN b.failed = b.size THEN 'done' ELSE 'pending' END,
                   CASE WHEN b.failed = b.size THEN now() END
            FROM unnest($4::bigint[], $5::int[], $6::int[]) AS b(id, size, failed)
            """, [target.runID, target.firstStage, target.maxAttempts] + batchArrays(batches))
    }

    /// Batch ids, sizes and failed counts as three array parameters (`unnest`ed together).
    private static func batchArrays(_ batches: [(batch: Int64, size: Int, failed: Int)]) -> [any PostgresEncodable] {
        [PostgresArray(batches.map { String($0.batch) }), PostgresArray(batches.map(\.size)), PostgresArray(batches.map(\.failed))]
    }

    /// A chunk of a run seeded in bulk: its batches, kept for the run's release
    /// (``Migrations/bulkIndexes``), which makes them the run's batches.
    private static func keepBulkBatches(_ conn: Connection, target: SeedTarget, batches: [(batch: Int64, size: Int, failed: Int)]) throws {
        guard !batches.isEmpty else { return }
        try conn.query("""
            INSERT INTO baton.bulk_batches (run_id, id, stage, size, failed)
            SELECT $1, b.id, $2, b.size, b.failed FROM unnest($3::bigint[], $4::int[], $5::int[]) AS b(id, size, failed)
            """, [target.runID, target.firstStage] + batchArrays(batches))
    }

    /// Pending items of a stage, counted up to `limit` (cheap whatever the queue's size).
    package static func pendingBacklog(_ conn: Connection, runID: Int64, stage: String, limit: Int) throws -> Int {
        try conn.query("""
            SELECT coalesce(sum(size), 0)::bigint FROM (
                SELECT size FROM baton.batches WHERE run_id = $1 AND stage = $2 AND state = 'pending' LIMIT $3
            ) AS backlog
            """, [runID, stage, limit]).rows[0].decode(Int.self, 0)
    }
}

/// How a chunk's records become rows: good records deduplicated within the chunk and grouped
/// in batches of the first stage; bad records (`on_error: skip`) in a batch of their own,
/// finished at once. Pure.
struct SeedPlan {
    struct Row {
        var id: Int64 = 0
        var batch: Int64 = 0
        var key: String
        var payload: String
        var error: String?
        var line: Int64 = 0
        var cursor: String?
    }

    var good: [Row] = []
    var bad: [Row] = []
    /// Good records whose key an earlier record of the chunk already had.
    var repeated = 0
    let batchSize: Int

    init(chunk: SeedChunk, batchSize: Int) {
        self.batchSize = batchSize
        // Sized up front: growing it rehashed every key (5 % of seeding 1 000 000 records in bulk).
        var seen = Set<ExactText>(minimumCapacity: chunk.records.count)
        good.reserveCapacity(chunk.records.count)
        for record in chunk.records {
            if let key = record.key, let payload = record.payload, record.error == nil {
                if seen.insert(ExactText(key)).inserted {
                    good.append(Row(key: key, payload: payload, line: record.line, cursor: record.cursor))
                } else {
                    repeated += 1
                }
            } else {
                let raw = "{\"line\":\(record.line),\"raw\":\(JSON.string(record.raw ?? "").serialized)}"
                bad.append(Row(key: record.key ?? "line:\(record.line)", payload: raw, error: record.error ?? "malformed record", line: record.line))
            }
        }
    }

    var batchCount: Int { (good.count + batchSize - 1) / batchSize + (bad.isEmpty ? 0 : 1) }

    mutating func assign(_ ids: [Int64]) {
        for index in good.indices {
            let batch = ids[index / batchSize]
            good[index].batch = batch
            good[index].id = Store.itemID(batch: batch, position: index % batchSize)
        }
        if let badBatch = ids.last, !bad.isEmpty {
            for index in bad.indices {
                bad[index].batch = badBatch
                bad[index].id = Store.itemID(batch: badBatch, position: index)
            }
        }
    }

    var rows: [Row] { good + bad }

    var batchSizes: [(batch: Int64, size: Int, failed: Int)] {
        var sizes: [(batch: Int64, size: Int, failed: Int)] = []
        for row in good {
            if sizes.last?.batch == row.batch { sizes[sizes.count - 1].size += 1 } else { sizes.append((row.batch, 1, 0)) }
        }
        if let first = bad.first { sizes.append((first.batch, bad.count, bad.count)) }
        return sizes
    }
}
