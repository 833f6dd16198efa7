import Baton
import Foundation
import Testing

@Suite("Broken pipeline files")
struct BrokenPipelineConfigTests {
    @Test("every error is reported, in file order, with position, field, message and hint", arguments: BrokenPipeline.all)
    func reportsExactlyTheExpectedErrors(_ broken: BrokenPipeline) throws {
        let path = PipelineFixtures.broken(broken.file)
        let thrown = #expect(throws: PipelineErrors.self) {
            try PipelineLoader.load(path: path, environment: PipelineFixtures.environment)
        }
        let errors = try #require(thrown)
        let lines = PipelineFixtures.normalized(errors.description).components(separatedBy: "\n")
        #expect(lines == broken.errors)
        for error in errors.errors {
            #expect(error.file == path)
            #expect(error.line >= 1 && error.column >= 1)
            #expect(!error.description.contains(PipelineFixtures.secret))
        }
        let positions = errors.errors.map { [$0.line, $0.column] }
        #expect(positions == positions.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func everyBrokenFixtureHasExpectations() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: PipelineFixtures.brokenDirectory)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }
        #expect(Set(files) == Set(BrokenPipeline.all.map(\.file)))
        #expect(BrokenPipeline.all.count >= 35)
    }

    @Test func errorFieldsMatchTheirDescription() throws {
        let thrown = #expect(throws: PipelineErrors.self) {
            try PipelineLoader.load(path: PipelineFixtures.broken("durations.yaml"), environment: PipelineFixtures.environment)
        }
        let first = try #require(thrown?.errors.first)
        #expect(first.line == 3)
        #expect(first.column == 10)
        #expect(first.field == "defaults.lease")
        #expect(first.message == "expected a duration like 30s, found `30`")
        #expect(first.hint == "write 30s (units: ms, s, m, h, d; combined like 1m30s)")
    }

    @Test func aFileWithSeveralProblemsReportsAllOfThemSorted() throws {
        let thrown = #expect(throws: PipelineErrors.self) {
            try PipelineLoader.load(path: PipelineFixtures.broken("several-errors.yaml"), environment: PipelineFixtures.environment)
        }
        let errors = try #require(thrown).errors
        #expect(errors.map(\.field) == [
            "defaults.concurrency", "source.jsonl", "source.key", "stages[0].http.timeout", "stages[0].retyr",
            "stages[2].sql", "stages[2].outputs", "stages[3].name",
        ])
        #expect(errors.map(\.line) == [3, 5, 6, 11, 12, 16, 17, 18])
    }

    @Test func aMissingPipelineFileIsOneError() throws {
        let thrown = #expect(throws: PipelineErrors.self) {
            try PipelineLoader.load(path: PipelineFixtures.broken("no-such-pipeline.yaml"), environment: [:])
        }
        let errors = try #require(thrown).errors
        #expect(errors.count == 1)
        #expect(errors.first?.message == "the pipeline file does not exist")
        #expect(errors.first?.line == 1)
    }

    @Test func theDescriptionOmitsAnEmptyFieldAndAMissingHint() {
        let error = PipelineError(file: "p.yaml", line: 2, column: 7, field: "", message: "invalid YAML: oops")
        #expect(error.description == "p.yaml:2:7: invalid YAML: oops")
        let withHint = PipelineError(file: "p.yaml", line: 1, column: 1, field: "stages", message: "m", hint: "h")
        #expect(withHint.description == "p.yaml:1:1: stages: m (hint: h)")
        let errors = PipelineErrors([withHint, error])
        #expect(errors.description == "p.yaml:1:1: stages: m (hint: h)\np.yaml:2:7: invalid YAML: oops")
    }
}
