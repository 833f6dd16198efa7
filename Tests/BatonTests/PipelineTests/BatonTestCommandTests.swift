import BatonTestSupport
import Foundation
import Testing

/// `baton test`: unit tests of pipelines, run by the built binary.
@Suite("baton test (end to end)")
struct BatonTestCommandTests {
    static let pipeline = """
        pipeline: scores
        setup: CREATE TABLE IF NOT EXISTS scores (id int PRIMARY KEY, score int NOT NULL CHECK (score >= 0))
        source: { items: [{id: 1}], key: .id }
        stages:
          - name: shape
            jq: '{id, score: (.points * 2)}'
          - name: enrich
            http: { url: "${SCORES_API}/bonus/{{ .id }}", into: bonus }
          - name: adjust
            exec:
              command: [python3, adjust.py]
              mode: stream
          - name: save
            sql: insert into scores (id, score) values (:id, :score)
        """

    static let script = """
        import json, sys
        for line in sys.stdin:
            item = json.loads(line)
            answer = {"items": [{"id": item["id"], "score": item["score"] + item["bonus"]["points"]}]}
            print(json.dumps(answer), flush=True)
        """

    static let passing = """
        env: { SCORES_API: "http://127.0.0.1:9" }
        cases:
          - name: points are doubled
            stage: shape
            input: {id: 1, points: 21}
            expect:
              outputs: [{id: 1, score: 42}]
          - name: the bonus comes from the service
            stage: enrich
            input: {id: 1, score: 42}
            http:
              - {url: "http://127.0.0.1:9/bonus/1", body: {points: 8}}
            expect:
              each: '.bonus.points == 8'
          - name: the child adds the bonus
            stage: adjust
            input: {id: 1, score: 42, bonus: {points: 8}}
            expect:
              outputs: [{id: 1, score: 50}]
          - name: a negative score breaks the check constraint
            stage: save
            input: {id: 1, score: -1}
            expect:
              error: {class: sqlstate 23514, permanent: true}
          - name: a score is saved
            stage: save
            input: {id: 2, score: 50}
            expect:
              sql:
                - query: select id, score from scores
                  rows: [{id: 2, score: 50}]
        """

    private func workspace(tests: String) throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write("pipelines/scores.yaml", Self.pipeline)
        try workspace.write("adjust.py", Self.script)
        try workspace.write("pipelines/scores.test.yaml", tests)
        return workspace
    }

    @Test func passingCasesExitZeroAndLeaveNothingInTheDatabase() async throws {
        let workspace = try workspace(tests: Self.passing)
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            // Nothing listens on 127.0.0.1:9: the http stage gets the recorded response only.
            let output = try await BatonProcess.run(["test"], database: db, directory: workspace.url)
            #expect(output.status == 0, "\(output)")
            #expect(output.stdout.contains("ok   pipelines/scores.test.yaml:3: points are doubled (stage shape)"), "\(output)")
            #expect(output.stdout.contains("ok   pipelines/scores.test.yaml:15: the child adds the bonus (stage adjust)"), "\(output)")
            #expect(output.stdout.hasSuffix("1 test file, 5 cases: 5 passed, 0 failed\n"), "\(output)")
            let conn = try db.connect()
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'scores'") == 0)
            #expect(try EngineFixture.count(conn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'baton'") == 0)
        }
    }

    @Test func aFailingCaseNamesItsLineShowsADiffAndExitsOne() async throws {
        let failing = Self.passing
            .replacingOccurrences(of: "outputs: [{id: 1, score: 42}]", with: "outputs: [{id: 1, score: 43}]")
            .replacingOccurrences(of: "rows: [{id: 2, score: 50}]", with: "rows: [{id: 2, score: 51}]")
            .replacingOccurrences(of: "class: sqlstate 23514, permanent: true", with: "class: sqlstate 23505")
        let workspace = try workspace(tests: failing)
        defer { workspace.remove() }
        try await TestDatabase.with { db in
            let output = try await BatonProcess.run(["test", "pipelines/scores.yaml"], database: db, directory: workspace.url)
            #expect(output.status == 1, "\(output)")
            let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let shape = try #require(lines.firstIndex(of: "FAIL pipelines/scores.test.yaml:3: points are doubled (stage shape)"), "\(output)")
            #expect(Array(lines[(shape + 1)...(shape + 7)]) == [
                "     the outputs differ (- expected, + actual)",
                "       [",
                "         {",
                "           \"id\": 1,",
                "     -     \"score\": 43",
                "     +     \"score\": 42",
                "         }",
            ], "\(output)")
            #expect(output.stdout.contains("FAIL pipelines/scores.test.yaml:20: a negative score breaks the check constraint (stage save)\n"
                + "     expected an error of class `sqlstate 23505`, got sqlstate 23514, permanent: SQL effect failed:"), "\(output)")
            #expect(output.stdout.contains("the query at pipelines/scores.test.yaml:30 gave other rows"), "\(output)")
            #expect(output.stdout.contains("ok   pipelines/scores.test.yaml:15: the child adds the bonus"), "\(output)")
            #expect(output.stdout.hasSuffix("1 test file, 5 cases: 2 passed, 3 failed\n"), "\(output)")
        }
    }

    @Test func anInvalidTestFileIsReportedWithPositionsAndExits78() async throws {
        let broken = """
            cases:
              - name: typo
                stage: shaep
                input: {id: 1}
                expect: {cont: 1}
              - name: no responses
                stage: enrich
                input: {id: 1}
                expect: {count: 1}
            """
        let workspace = try workspace(tests: broken)
        defer { workspace.remove() }
        let output = try await BatonProcess.run(["test", "pipelines/scores.test.yaml"], database: nil, directory: workspace.url,
                                                environment: ["SCORES_API": "http://127.0.0.1:9"])
        #expect(output.status == 78, "\(output)")
        #expect(output.stdout.contains(
            "pipelines/scores.test.yaml:3:12: cases[0].stage: the pipeline has no stage `shaep` (hint: did you mean `shape`? stages: shape, enrich, adjust, save)"),
            "\(output)")
        #expect(output.stdout.contains("pipelines/scores.test.yaml:5:14: cases[0].expect.cont: unknown key `cont` (hint: did you mean `count`?)"),
                "\(output)")
    }

    /// A key given twice in a test file was ignored (the first value won) and a case that
    /// contradicted itself passed with exit 0; `baton validate` did report it.
    @Test func aDuplicateKeyInATestFileExits78() async throws {
        let twice = """
            cases:
              - name: twice
                stage: shape
                stage: save
                input: {id: 1, score: 42}
                expect: {count: 1, count: 2}
            """
        let workspace = try workspace(tests: twice)
        defer { workspace.remove() }
        let output = try await BatonProcess.run(["test", "pipelines/scores.test.yaml"], database: nil, directory: workspace.url,
                                                environment: ["SCORES_API": "http://127.0.0.1:9"])
        #expect(output.status == 78, "\(output)")
        #expect(output.stdout.contains("pipelines/scores.test.yaml:4:5: cases[0].stage: duplicate key `stage`: it is already set at line 3"),
                "\(output)")
        #expect(output.stdout.contains("cases[0].expect.count: duplicate key `count`"), "\(output)")
    }

    @Test func anHTTPStageWithoutRecordedResponsesFailsInsteadOfCallingOut() async throws {
        let tests = """
            env: { SCORES_API: "http://127.0.0.1:9" }
            cases:
              - name: no responses
                stage: enrich
                input: {id: 1}
                expect: {count: 1}
              - name: one response too many
                stage: enrich
                input: {id: 1}
                http: [{body: {points: 1}}, {body: {points: 2}}]
                expect: {count: 1}
            """
        let workspace = try workspace(tests: tests)
        defer { workspace.remove() }
        let output = try await BatonProcess.run(["test"], database: nil, directory: workspace.url)
        #expect(output.status == 1, "\(output)")
        #expect(output.stdout.contains("stage enrich calls a service: give the responses it gets under `http:`"), "\(output)")
        #expect(output.stdout.contains("the recorded response at pipelines/scores.test.yaml:10 was not used"), "\(output)")
    }

    @Test func everyPipelineShipsATestFileAndTheyPass() async throws {
        let root = ExamplePipelineTests.root
        let pipelines = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("pipelines").path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }
        #expect(!pipelines.isEmpty)
        for pipeline in pipelines {
            let test = pipeline.replacingOccurrences(of: ".yaml", with: ".test.yaml")
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("pipelines/\(test)").path), "\(pipeline) has no \(test)")
        }
        try await TestDatabase.with { db in
            let output = try await BatonProcess.run(["test", "pipelines/"], database: db, directory: root)
            #expect(output.status == 0, "\(output)")
            #expect(!output.stderr.contains("no tests for"), "\(output)")
        }
    }
}
