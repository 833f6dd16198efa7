import ArgumentParser
import Baton
import BatonPostgres
import Foundation

/// Loads what a command needs about an existing run: the record and its pipeline as it is
/// now (the file if it still exists, else the definition stored with the run).
enum RunReference {
    static func find(_ reference: String, global: GlobalOptions) async throws -> RunRecord {
        if let why = global.missingLocalCluster() { throw BatonError(.usage, "no run named \(reference): \(why)") }
        return try await global.withConnection { conn in
            guard try Store.isCurrent(conn) else {
                if let older = try Store.olderSchema(conn) { throw BatonError(.usage, older) }
                throw BatonError(.usage, "no runs yet: Baton's schema is not in this database (run `baton migrate` or `baton run`)")
            }
            return try Store.findRun(conn, reference)
        }
    }

    /// The run's pipeline: `file` if given, else the run's file if it exists, else the stored
    /// definition (interpolated with this process's environment). Relative paths in the run's
    /// own file resolve from the folder the run was started in, so this works from any folder.
    static func pipeline(for run: RunRecord, file: String?) throws -> Pipeline {
        if let file { return try PipelineLoader.load(path: file) }
        let directory = run.workingDirectory
        if let stored = run.file {
            let path = directory.map { Store.absolutePath(stored, from: $0) } ?? stored
            if FileManager.default.fileExists(atPath: path) {
                return try PipelineLoader.load(path: path, currentDirectory: directory)
            }
        }
        guard let text = run.definitionText else {
            throw BatonError(.usage, "run \(run.name) has no stored definition and its file is gone; give the pipeline file with --file")
        }
        return try PipelineLoader.load(text: text, file: run.file ?? "(stored definition of run \(run.name))",
                                       environment: ProcessInfo.processInfo.environment, currentDirectory: directory)
    }

    /// The stage names a command may be given for a run: those of its pipeline (as stored)
    /// and those holding its items.
    static func stageNames(of run: RunRecord, global: GlobalOptions) async throws -> [String] {
        let id = run.id
        return try await global.withConnection { conn in
            var names = try Store.storedStages(conn, runID: id).map(\.name)
            for stage in try Store.stagesWithItems(conn, runID: id) where !names.contains(stage) { names.append(stage) }
            return names
        }
    }

    /// Exit 64 for a `--stage` the run never had, with a suggestion.
    static func checkStages(_ stages: [String], of run: RunRecord, known: [String]) throws {
        for stage in stages where !known.contains(stage) {
            let suggestion = KeySuggester.suggestion(for: stage, among: known).map { "did you mean `\($0)`? " } ?? ""
            throw BatonError(.usage, "run \(run.name) has no stage \(stage) (\(suggestion)stages: \(known.joined(separator: ", ")))")
        }
    }
}
