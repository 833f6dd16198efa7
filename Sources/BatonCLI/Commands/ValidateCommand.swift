import ArgumentParser
import Baton
import BatonJQ
import BatonPostgres
import Foundation

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files without running them.",
        discussion: """
            Reports every problem at once, each as FILE:LINE:COLUMN: FIELD: MESSAGE: unknown keys, \
            wrong types, duplicate stage names, jq compile errors, SQL parameters no field supplies, \
            unset environment variables, paginators, incremental cursors. When a database is configured \
            (or the local one exists), the pipeline's `setup:` runs and every sql stage's statement is \
            prepared against it, in a transaction that is rolled back: a statement Postgres refuses is \
            reported at its line and column. --no-db skips that; without a database, `ok` says the SQL \
            was not checked. Prints `ok` per valid file, then its warnings (FILE:LINE:COLUMN: FIELD: \
            warning: …, e.g. a glob matching no file yet). Exit 0 when all are valid (warnings included), \
            78 otherwise.

            Examples:
              baton validate pipelines/*.yaml
              baton validate pipelines/orders.yaml --no-db --json
            """
    )

    @Argument(help: "Pipeline files (YAML or JSON).")
    var files: [String]

    @Flag(name: .customLong("no-db"), help: "Do not check the SQL against a database.")
    var noDatabase = false

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var global: GlobalOptions

    /// What became of one file.
    private struct Outcome {
        var file: String
        var pipeline: Pipeline?
        var errors: [PipelineError] = []
        /// Statements prepared against the database; nil: not checked.
        var checked: Int?
        var why: String?
    }

    func run() async throws {
        _ = global.logger()
        var outcomes: [Outcome] = []
        for file in files {
            do {
                let pipeline = try PipelineLoader.load(path: file)
                Secrets.register(pipeline.secrets)
                outcomes.append(Outcome(file: file, pipeline: pipeline))
            } catch let errors as PipelineErrors {
                outcomes.append(Outcome(file: file, errors: errors.errors))
            }
        }
        try await checkStatements(&outcomes)
        if json {
            print(Secrets.redact(Self.json(outcomes).serialized))
        } else {
            Self.printText(outcomes)
        }
        if outcomes.contains(where: { !$0.errors.isEmpty }) { throw ExitCode(BatonExit.config.rawValue) }
    }

    /// Prepares the SQL statements of the valid pipelines with sql stages against the database,
    /// or records why not.
    private func checkStatements(_ outcomes: inout [Outcome]) async throws {
        let sqlStages = outcomes.compactMap(\.pipeline).contains(where: StatementCheck.hasStatements)
        let database: (config: ConnectionConfig?, why: String) = sqlStages ? try checkingDatabase() : (nil, "no sql stage")
        for index in outcomes.indices {
            guard let pipeline = outcomes[index].pipeline else { continue }
            guard StatementCheck.hasStatements(pipeline) else { continue }
            guard let config = database.config else {
                outcomes[index].why = database.why
                continue
            }
            do {
                let session = PostgresSession(config: config, name: "baton-validate")
                outcomes[index].checked = try await session.withConnection { try StatementCheck.check(pipeline, $0) }
            } catch let errors as PipelineErrors {
                outcomes[index].errors = errors.errors
            } catch let error as BatonError where error.category == .config {
                outcomes[index].errors = [PipelineError(file: outcomes[index].file, line: 1, column: 1, field: "setup", message: error.message)]
            } catch let error as PostgresError where error.isConnectionError {
                throw BatonError(.unavailable, "database unavailable: \(error)")
            }
        }
    }

    /// `--json`: one document for every file.
    private static func json(_ outcomes: [Outcome]) -> JSON {
        JSON.object([
            ("valid", .bool(outcomes.allSatisfy { $0.errors.isEmpty })),
            ("files", .array(outcomes.map { outcome in
                .object([
                    ("file", .string(outcome.file)), ("valid", .bool(outcome.errors.isEmpty)),
                    ("pipeline", outcome.pipeline.map { .string($0.name) } ?? .null),
                    ("stages", outcome.pipeline.map { Format.json($0.stages.count) } ?? .null),
                    ("sql_checked", .bool(outcome.checked != nil)), ("sql_statements_checked", Format.json(outcome.checked ?? 0)),
                    ("sql_not_checked_because", outcome.why.map(JSON.string) ?? .null),
                    ("errors", .array(outcome.errors.map { error in
                        .object([
                            ("line", Format.json(error.line)), ("column", Format.json(error.column)), ("field", .string(error.field)),
                            ("message", .string(error.message)), ("hint", error.hint.map(JSON.string) ?? .null),
                            ("text", .string(error.description)),
                        ])
                    })),
                ])
            })),
        ])
    }

    /// The errors of each file, or an ok line with what was checked and its warnings.
    private static func printText(_ outcomes: [Outcome]) {
        for outcome in outcomes {
            if !outcome.errors.isEmpty {
                print(Secrets.redact(PipelineErrors(outcome.errors).description))
            } else if let pipeline = outcome.pipeline {
                var note = "pipeline \(pipeline.name), \(Format.count(pipeline.stages.count, "stage"))"
                if let checked = outcome.checked, checked == 0 {
                    note += "; setup SQL run against the database, rolled back"
                } else if let checked = outcome.checked {
                    note += "; \(Format.count(checked, "SQL statement")) prepared against the database"
                } else if let why = outcome.why {
                    note += "; SQL not checked against a database (\(why))"
                }
                print("\(outcome.file): ok (\(note))")
                for warning in pipeline.warnings { print(Secrets.redact(ValidateCommand.text(of: warning))) }
            }
        }
    }

    /// The database to prepare statements on: a configured one, or the local cluster if it
    /// was ever created (started if needed); else nil and why.
    private func checkingDatabase() throws -> (config: ConnectionConfig?, why: String) {
        if noDatabase { return (nil, "--no-db") }
        switch DatabaseLocator().choose(explicitURL: global.databaseURL) {
        case .embedded(let embedded) where !embedded.exists:
            return (nil, "no database configured and no local one in \(embedded.directory); set --database-url or BATON_DATABASE_URL, or run once to create it")
        default:
            return (try global.database(), "")
        }
    }

    /// `FILE:LINE:COLUMN: FIELD: warning: MESSAGE (hint: HINT)`.
    static func text(of warning: PipelineError) -> String {
        var marked = warning
        marked.message = "warning: " + warning.message
        return marked.description
    }
}
