import BatonTestSupport
import Foundation
import Testing

/// Running pipelines of the source tests with the built binary and reading their summaries.
enum SourceRun {
    /// `baton run FILE --run NAME --json`.
    static func run(_ file: String, _ db: TestDatabase, run: String, directory: URL? = nil) async throws -> BatonProcess.Output {
        try await BatonProcess.run(["run", file, "--run", run, "--json", "--progress", "none"], database: db, directory: directory)
    }

    /// A stage's numbers from a `--json` summary (`done`, `deduplicated`, …).
    static func stage(_ output: BatonProcess.Output, _ name: String) throws -> [String: Any] {
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output)")
        let stages = try #require(summary["stages"] as? [[String: Any]])
        return try #require(stages.first { $0["name"] as? String == name })
    }

    static func done(_ output: BatonProcess.Output, _ stage: String = "load") throws -> Int {
        try #require(try self.stage(output, stage)["done"] as? Int)
    }

    static func deduplicated(_ output: BatonProcess.Output, _ stage: String = "load") throws -> Int {
        try #require(try self.stage(output, stage)["deduplicated"] as? Int)
    }
}
