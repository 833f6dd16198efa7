import ArgumentParser
import Baton
import Foundation

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run pipelines' unit tests (NAME.test.yaml next to NAME.yaml).",
        discussion: """
            Each case feeds input items to one stage and checks what comes out: exact outputs, \
            jq conditions, an expected error, or rows queried afterwards. jq stages run in process; \
            sql stages run in a transaction on the database (--database-url, the environment, or the \
            embedded one) that is rolled back; http stages get the responses recorded in the test \
            file (no network); exec stages run for real. Nothing is left behind.

            Prints `ok` or `FAIL` per case with FILE:LINE, and for a failure what differs. \
            Exit 0 when every case passes, 1 when one fails, 78 when a test or pipeline file is invalid.

            Examples:
              baton test                         (every *.test.yaml in pipelines/)
              baton test pipelines/orders.test.yaml
              baton test pipelines/orders.yaml   (its orders.test.yaml)
            """
    )

    @Argument(help: "Test files, pipeline files (their NAME.test.yaml), or folders (every *.test.yaml in them). Default: pipelines/.")
    var paths: [String] = []

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.logger()
        let files = try testFiles()
        let url = global.databaseURL
        let runner = PipelineTestRunner(database: { try GlobalOptions.database(explicitURL: url) }, logger: logger)
        var invalid = 0, passed = 0, failed = 0
        for file in files {
            let suite: PipelineTestSuite
            do {
                suite = try PipelineTestLoader.load(path: file, environment: ProcessInfo.processInfo.environment)
            } catch let errors as PipelineErrors {
                invalid += 1
                print(Secrets.redact(errors.description))
                continue
            }
            Secrets.register(suite.pipeline.secrets)
            for outcome in try await runner.run(suite) {
                let testCase = outcome.testCase
                let title = "\(testCase.location): \(testCase.name) (stage \(testCase.stage))"
                if outcome.passed {
                    passed += 1
                    print(Secrets.redact("ok   \(title)"))
                    continue
                }
                failed += 1
                var lines = ["FAIL \(title)"]
                for problem in outcome.problems {
                    lines.append("     " + problem.message)
                    lines += problem.detail.map { "     " + $0 }
                }
                print(Secrets.redact(lines.joined(separator: "\n")))
            }
        }
        let cases = passed + failed
        var summary = "\(files.count) test file\(files.count == 1 ? "" : "s"), \(cases) case\(cases == 1 ? "" : "s"): \(passed) passed, \(failed) failed"
        if invalid > 0 { summary += ", \(invalid) file\(invalid == 1 ? "" : "s") invalid" }
        print(summary)
        if invalid > 0 { throw ExitCode(BatonExit.config.rawValue) }
        if failed > 0 { throw ExitCode(BatonExit.failedItems.rawValue) }
    }

    /// The test files the arguments name, in order; folders give their `*.test.yaml` sorted
    /// (pipelines there without one are mentioned on stderr).
    private func testFiles() throws -> [String] {
        var files: [String] = []
        for path in paths.isEmpty ? ["pipelines"] : paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw BatonError(.usage, "\(path) does not exist")
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
                let tests = names.filter(PipelineTestLoader.isTestFile)
                for name in names where !PipelineTestLoader.isTestFile(name) && [".yaml", ".yml", ".json"].contains(where: name.hasSuffix) {
                    if !tests.contains(URL(fileURLWithPath: PipelineTestLoader.testFile(for: name)).lastPathComponent) {
                        LogSetup.message("no tests for \(folder)/\(name) (add \(PipelineTestLoader.testFile(for: name)))")
                    }
                }
                files += tests.map { "\(folder)/\($0)" }
            } else if PipelineTestLoader.isTestFile(path) {
                files.append(path)
            } else {
                let test = PipelineTestLoader.testFile(for: path)
                guard FileManager.default.fileExists(atPath: test) else {
                    throw BatonError(.usage, "\(path) has no test file (\(test)); see `baton help test`")
                }
                files.append(test)
            }
        }
        guard !files.isEmpty else { throw BatonError(.usage, "no test files (NAME.test.yaml) in \(paths.isEmpty ? "pipelines" : paths.joined(separator: ", "))") }
        return files
    }
}
