import ArgumentParser
import Baton
import BatonPostgres
import Foundation

/// Loads what a command needs about an existing run: the record and its pipeline as it is
/// now (the file if it still exists, else the definition stored with the run).
enum RunReference {
    static func find(_ reference: String, global: GlobalOptions) async throws -> RunRecord {
        try await global.withConnection { conn in
            guard try Store.isCurrent(conn) else {
                throw BatonError(.usage, "no runs yet: Baton's schema is not in this database (run `baton migrate` or `baton run`)")
            }
            return try Store.findRun(conn, reference)
        }
    }

    /// The run's pipeline: `file` if given, else the run's file if it exists, else the stored
    /// definition (interpolated with this process's environment).
    static func pipeline(for run: RunRecord, file: String?) throws -> Pipeline {
        if let file { return try PipelineLoader.load(path: file) }
        if let path = run.file, FileManager.default.fileExists(atPath: path) {
            return try PipelineLoader.load(path: path)
        }
        guard let text = run.definitionText else {
            throw BatonError(.usage, "run \(run.name) has no stored definition and its file is gone; give the pipeline file with --file")
        }
        return try PipelineLoader.load(text: text, file: run.file ?? "(stored definition of run \(run.name))",
                                       environment: ProcessInfo.processInfo.environment)
    }
}
