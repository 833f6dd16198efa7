package import BatonPostgres
import BatonHTTP
import BatonJQ
import Foundation
import Synchronization
package import Logging

/// Runs test cases: each case's items go through its stage — jq and Swift stages in process,
/// exec stages for real, http stages against the recorded responses (no network), and SQL
/// effects (sql stages) inside one transaction per case that is rolled back, after the
/// pipeline's `setup:` and the test file's.
package struct PipelineTestRunner: Sendable {
    /// The database for cases that need one, opened on first use (nothing else connects).
    private let database: LazySession
    private let logger: Logger

    /// `database` is called once, when the first case needs a database.
    package init(database: @escaping @Sendable () throws -> ConnectionConfig, logger: Logger) {
        self.database = LazySession(resolve: database)
        self.logger = logger
    }

    package func run(_ suite: PipelineTestSuite) async throws -> [PipelineTestOutcome] {
        try await StageLifecycle.around(suite.pipeline.stages, logger: logger) {
            var outcomes: [PipelineTestOutcome] = []
            for testCase in suite.cases {
                outcomes.append(try await run(testCase, of: suite))
            }
            return outcomes
        }
    }

    private func run(_ testCase: PipelineTestCase, of suite: PipelineTestSuite) async throws -> PipelineTestOutcome {
        let pipeline = suite.pipeline
        guard let stage = pipeline.stage(named: testCase.stage) else {
            return PipelineTestOutcome(testCase: testCase, problems: [.init(message: "the pipeline has no stage \(testCase.stage)")])
        }
        var problems: [PipelineTestOutcome.Problem] = []
        let player = testCase.responses.map(ResponsePlayer.init)
        var results: [Result<StageOutput, StageError>] = []
        for input in testCase.inputs {
            let item = StageInput(itemID: 0, key: input.key, payload: input.payload, attempt: 1, maxAttempts: stage.retry.maxAttempts,
                                  runID: 0, runName: "test", stage: stage.name)
            do {
                if let http = stage.transform as? HTTPTransform {
                    guard let player else {
                        problems.append(.init(message: "stage \(stage.name) calls a service: give the responses it gets under `http:` (tests make no network calls)"))
                        break
                    }
                    results.append(.success(try http.process(item, send: player.answer)))
                } else {
                    results.append(.success(try await stage.transform.process(item)))
                }
            } catch {
                var failure = FailurePolicy.classify(error)
                failure.message = pipeline.redact(failure.message)
                results.append(.failure(failure))
            }
        }
        if let player {
            problems += player.problems.map { .init(message: pipeline.redact($0)) }
            for unused in player.unused { problems.append(.init(message: "the recorded response at \(unused.location) was not used")) }
        }

        var outputs: [String] = []
        var failure: StageError?
        let needsDatabase = stage.transform is SQLTransform || !testCase.expectation.queries.isEmpty
            || results.contains { if case .success(let output) = $0 { !output.effects.isEmpty || output.outputsFromEffects } else { false } }
        var queryRows: [[String]] = []
        if needsDatabase {
            let setup = pipeline.setup + suite.setup + testCase.setup
            let queries = testCase.expectation.queries.map(\.sql)
            let transformed = results
            let applied = try await database.withConnection { conn in
                try Self.apply(transformed, setup: setup, queries: queries, on: conn)
            }
            switch applied {
            case .setupFailed(let message):
                problems.append(.init(message: pipeline.redact(message)))
                return PipelineTestOutcome(testCase: testCase, problems: problems)
            case .applied(let appliedOutputs, let appliedFailure, let rows):
                outputs = appliedOutputs
                failure = appliedFailure.map { error in
                    var redacted = error
                    redacted.message = pipeline.redact(error.message)
                    return redacted
                }
                queryRows = rows
            }
        } else {
            for result in results {
                switch result {
                case .success(let output): outputs += output.outputs.map(\.payload)
                case .failure(let error): failure = failure ?? error
                }
            }
        }
        problems += check(testCase.expectation, outputs: outputs, failure: failure)
        for (check, rows) in zip(testCase.expectation.queries, queryRows) {
            problems += compare(rows: rows, check: check)
        }
        return PipelineTestOutcome(testCase: testCase, problems: problems)
    }

    // MARK: The database part

    private enum Applied: Sendable {
        case setupFailed(String)
        case applied(outputs: [String], failure: StageError?, queryRows: [[String]])
    }

    /// In one transaction, rolled back: the set-up, each item's effects (in a savepoint of its
    /// own, as the engine commits them), then the checks' queries.
    private static func apply(_ results: [Result<StageOutput, StageError>], setup: [String], queries: [String],
                              on conn: Connection) throws -> Applied {
        try conn.execute("BEGIN")
        defer { conn.rollbackQuietly() }
        try conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in setup {
            do {
                try conn.execute(statement)
            } catch let error as PostgresError where !error.isConnectionError {
                return .setupFailed("setup SQL failed: \(error)")
            }
        }
        var outputs: [String] = []
        var failure: StageError?
        for result in results {
            switch result {
            case .failure(let error):
                failure = failure ?? error
            case .success(let output):
                do {
                    let produced = try conn.savepoint("baton_test_item") { conn -> [String] in
                        var returned: [String] = []
                        for effect in output.effects {
                            let values = effect.parameters.map { PostgresValue(bytes: $0.map { Array($0.utf8) }) }
                            let rows = try conn.query(effect.sql, values)
                            if output.outputsFromEffects {
                                for row in rows.rows { returned.append(try row.decode(String.self, 0)) }
                            }
                        }
                        return output.outputsFromEffects ? returned : output.outputs.map(\.payload)
                    }
                    outputs += produced
                } catch let error as PostgresError where error.isConnectionError {
                    throw error
                } catch {
                    failure = failure ?? FailurePolicy.classify(error)
                }
            }
        }
        var queryRows: [[String]] = []
        for query in queries {
            var text = query.trimmingCharacters(in: .whitespacesAndNewlines)
            while text.hasSuffix(";") { text.removeLast() }
            do {
                let rows = try conn.savepoint("baton_test_check") { conn in
                    try conn.query("SELECT to_jsonb(baton_check)::text FROM (\(text)) AS baton_check").rows.map { try $0.decode(String.self, 0) }
                }
                queryRows.append(rows)
            } catch let error as PostgresError where !error.isConnectionError {
                queryRows.append(["__baton_error__" + error.description])
            }
        }
        return .applied(outputs: outputs, failure: failure, queryRows: queryRows)
    }

    // MARK: Checks

    private func check(_ expectation: PipelineTestCase.Expectation, outputs payloads: [String], failure: StageError?) -> [PipelineTestOutcome.Problem] {
        let outputs = payloads.map { (try? JSON(parsing: $0)) ?? .string($0) }
        let shownOutputs = JSONComparison.pretty(.array(outputs)).split(separator: "\n").map { "  " + $0 }
        if let expected = expectation.error {
            guard let failure else {
                return [.init(message: "expected the stage to fail, but it gave \(outputs.count) output\(outputs.count == 1 ? "" : "s")", detail: shownOutputs)]
            }
            var problems: [PipelineTestOutcome.Problem] = []
            let actual = "\(failure.errorClass), \(failure.isPermanent ? "permanent" : "transient"): \(failure.message)"
            if let errorClass = expected.errorClass, errorClass != failure.errorClass {
                problems.append(.init(message: "expected an error of class `\(errorClass)`, got \(actual)"))
            }
            if let permanent = expected.permanent, permanent != failure.isPermanent {
                problems.append(.init(message: "expected a \(permanent ? "permanent" : "transient") error, got \(actual)"))
            }
            if let message = expected.message, !failure.message.contains(message) {
                problems.append(.init(message: "expected an error message containing `\(message)`, got \(actual)"))
            }
            return problems
        }
        if let failure {
            return [.init(message: "the stage failed (\(failure.errorClass), \(failure.isPermanent ? "permanent" : "transient")): \(failure.message)")]
        }
        var problems: [PipelineTestOutcome.Problem] = []
        if let expected = expectation.outputs, !JSONComparison.equal(.array(expected), .array(outputs)) {
            problems.append(.init(message: "the outputs differ (- expected, + actual)",
                                  detail: LineDiff.lines(expected: JSONComparison.pretty(.array(expected)), actual: JSONComparison.pretty(.array(outputs)))))
        }
        if let count = expectation.count, count != outputs.count {
            problems.append(.init(message: "expected \(count) output\(count == 1 ? "" : "s"), got \(outputs.count)", detail: shownOutputs))
        }
        for predicate in expectation.each {
            for (index, output) in outputs.enumerated() {
                if let why = holds(predicate, on: output) {
                    problems.append(.init(message: "`\(predicate.source)` \(why) for output \(index + 1)",
                                          detail: JSONComparison.pretty(output).split(separator: "\n").map { "  " + $0 }))
                }
            }
        }
        for predicate in expectation.all {
            if let why = holds(predicate, on: .array(outputs)) {
                problems.append(.init(message: "`\(predicate.source)` \(why) for the outputs", detail: shownOutputs))
            }
        }
        return problems
    }

    /// nil when the predicate gives exactly `true`; else what it gave instead.
    private func holds(_ predicate: PipelineTestCase.Predicate, on value: JSON) -> String? {
        do {
            let results = try predicate.program.values(json: value.serialized)
            if results == [.bool(true)] { return nil }
            return "gave \(results.isEmpty ? "nothing" : results.map(\.serialized).joined(separator: ", ")), not true,"
        } catch {
            return "failed (\(error))"
        }
    }

    private func compare(rows: [String], check: PipelineTestCase.QueryCheck) -> [PipelineTestOutcome.Problem] {
        if let first = rows.first, first.hasPrefix("__baton_error__") {
            return [.init(message: "the query at \(check.location) failed: \(first.dropFirst("__baton_error__".count))")]
        }
        let actual = JSON.array(rows.map { (try? JSON(parsing: $0)) ?? .string($0) })
        guard !JSONComparison.equal(.array(check.rows), actual) else { return [] }
        return [.init(message: "the query at \(check.location) gave other rows (- expected, + actual)",
                      detail: LineDiff.lines(expected: JSONComparison.pretty(.array(check.rows)), actual: JSONComparison.pretty(actual)))]
    }
}
