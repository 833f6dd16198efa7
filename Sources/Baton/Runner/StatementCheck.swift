package import BatonPostgres
import Foundation

/// Checks a pipeline's SQL against the real database before anything runs: the `setup:`
/// statements run, then a `sql` source's query (on the run's database) and every `sql`
/// stage's statement are prepared (parsed and planned, not run), all in one transaction that
/// is rolled back. A statement Postgres refuses is a
/// configuration error at the file's line and column, instead of every item failing with
/// the same SQLSTATE one at a time.
package enum StatementCheck {
    /// Throws ``PipelineErrors`` (every refused statement), or ``BatonError`` `.config` when
    /// `setup:` fails. Returns how many statements were checked.
    @discardableResult
    package static func check(_ pipeline: Pipeline, _ conn: Connection) throws -> Int {
        let statements = pipeline.stages.enumerated().compactMap { index, stage in
            (stage.transform as? SQLTransform).map { (index, stage, $0) }
        }
        let query = sourceQuery(pipeline)
        guard !statements.isEmpty || query != nil || !pipeline.setup.isEmpty else { return 0 }
        try conn.execute("BEGIN")
        defer { conn.rollbackQuietly() }
        if !pipeline.setup.isEmpty {
            // As `RunEngine.runSetup`: one process at a time runs a pipeline's set-up, or two
            // CREATE TABLE IF NOT EXISTS at once collide in the catalog.
            try conn.query("SELECT pg_advisory_xact_lock($1)", [Int64(bitPattern: StableHash.fnv1a64("setup\u{1}\(pipeline.name)"))])
        }
        for (index, statement) in pipeline.setup.enumerated() {
            do {
                try conn.execute(statement)
            } catch let error as PostgresError where !error.isConnectionError {
                guard index < pipeline.setupLocations.count else {
                    throw BatonError(.config, "\(pipeline.file ?? pipeline.name): setup SQL failed: \(pipeline.redact(error.description))")
                }
                throw PipelineErrors([describe(error, setup: pipeline.setupLocations[index], pipeline: pipeline)])
            }
        }
        var errors: [PipelineError] = []
        if let query {
            let (text, queryOffset) = query.checkedText(incremental: pipeline.source.incremental != nil)
            do {
                try conn.savepoint("baton_check") { try $0.checkStatement(text) }
            } catch let error as PostgresError where !error.isConnectionError {
                errors.append(describe(error, source: query, queryOffset: queryOffset, pipeline: pipeline))
            }
        }
        for (index, stage, sql) in statements {
            do {
                try conn.savepoint("baton_check") { try $0.checkStatement(sql.effectiveSQL) }
            } catch let error as PostgresError where !error.isConnectionError {
                errors.append(describe(error, stage: stage, index: index, sql: sql, pipeline: pipeline))
            }
        }
        guard errors.isEmpty else { throw PipelineErrors(errors) }
        return statements.count + (query == nil ? 0 : 1)
    }

    /// Whether ``check(_:_:)`` has anything to check: `setup:`, a `sql` stage, or a `sql`
    /// source on the run's database.
    package static func hasStatements(_ pipeline: Pipeline) -> Bool {
        !pipeline.setup.isEmpty || sourceQuery(pipeline) != nil || pipeline.stages.contains { $0.transform is SQLTransform }
    }

    /// The server's error about a `setup:` statement, at the file position it points at.
    static func describe(_ error: PostgresError, setup location: ValueLocation, pipeline: Pipeline) -> PipelineError {
        let position = error.position.map { location.position(ofScalar: $0 - 1) } ?? location.start
        var message = "setup SQL failed: \(error.message)"
        if let sqlState = error.sqlState { message += " (sqlstate \(sqlState))" }
        if let detail = error.detail, !detail.isEmpty { message += "; \(detail)" }
        return PipelineError(file: location.file, line: position.line, column: position.column, field: location.field,
                             message: pipeline.redact(message), hint: error.hint.map(pipeline.redact))
    }

    /// The source's query when it runs on the run's database (one on another database is
    /// not checked here).
    static func sourceQuery(_ pipeline: Pipeline) -> SQLSource? {
        (pipeline.source.definition as? SQLSource).flatMap { $0.databaseURL == nil ? $0 : nil }
    }

    /// The server's error about the source query, at the file position it points at.
    static func describe(_ error: PostgresError, source: SQLSource, queryOffset: (Int) -> Int?, pipeline: Pipeline) -> PipelineError {
        let location = source.location
        let position = error.position.flatMap { queryOffset($0 - 1) }.map { location?.position(ofScalar: $0) } ?? location?.start
        let (message, hint) = refusal(error, "the source query does not prepare") { $0 }
        return PipelineError(
            file: location?.file ?? pipeline.file ?? pipeline.name,
            line: position?.line ?? 1, column: position?.column ?? 1,
            field: location?.field ?? "source.sql",
            message: pipeline.redact(pipeline.source.incremental == nil ? message : named(message, [SQLSource.cursorParameter])), hint: hint.map(pipeline.redact)
        )
    }

    /// What the server said about a statement it refused (`rename` turns `$N` back into
    /// `:name`), and a hint for a missing table.
    private static func refusal(_ error: PostgresError, _ what: String, rename: (String) -> String) -> (message: String, hint: String?) {
        var message = "\(what): \(rename(error.message))"
        if let sqlState = error.sqlState { message += " (sqlstate \(sqlState))" }
        if let detail = error.detail, !detail.isEmpty { message += "; \(rename(detail))" }
        var hint = error.hint
        if error.sqlState == "42P01" {
            hint = "create the table before the run, or in the pipeline's `setup:` (e.g. CREATE TABLE IF NOT EXISTS …), which runs first"
        }
        return (message, hint)
    }

    /// The server's error at the file position of the character it points at.
    static func describe(_ error: PostgresError, stage: Stage, index: Int, sql: SQLTransform, pipeline: Pipeline) -> PipelineError {
        var offset = error.position.map { $0 - 1 }
        if sql.outputs == .returning, let position = offset {
            let shift = SQLTransform.returningPrefix.unicodeScalars.count
            offset = position >= shift ? position - shift : nil
        }
        let location = sql.location
        let position = offset.map { location?.position(ofScalar: sql.template.originalOffset(of: $0)) } ?? location?.start
        let (message, hint) = refusal(error, "the statement does not prepare") { named($0, sql.template.parameters) }
        return PipelineError(
            file: location?.file ?? pipeline.file ?? pipeline.name,
            line: position?.line ?? 1, column: position?.column ?? 1,
            field: location?.field ?? "stages[\(index)].sql",
            message: pipeline.redact(message), hint: hint.map(pipeline.redact)
        )
    }

    /// `$2` → `:name` in a server message about the rewritten statement.
    static func named(_ text: String, _ parameters: [String]) -> String {
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let digits = rest[rest.index(after: dollar)...].prefix { $0.isASCII && $0.isNumber }
            if let number = Int(digits), number >= 1, number <= parameters.count {
                out += ":" + parameters[number - 1]
                rest = rest[digits.endIndex...]
            } else {
                out += "$"
                rest = rest[rest.index(after: dollar)...]
            }
        }
        return out + rest
    }
}
