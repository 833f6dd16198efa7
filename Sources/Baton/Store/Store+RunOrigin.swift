package import BatonPostgres
import Foundation

extension Store {
    /// Creates a run under a name no run of the pipeline has: `name()` is asked again while
    /// the name it gives is taken. Never resumes a run. `bulk`: see ``createOrFindRun(_:pipeline:name:bulk:)``.
    package static func createNewRun(_ conn: Connection, pipeline: Pipeline, bulk: Bool = false, name: () -> String) throws -> RunRecord {
        for _ in 0..<20 {
            let (run, created) = try createOrFindRun(conn, pipeline: pipeline, name: name(), bulk: bulk)
            if created { return run }
        }
        throw BatonError(.temporary, "could not find a free run name for pipeline \(pipeline.name); give one with --run")
    }

    /// Records what a new run's source resolved to, how many records it has (when counted),
    /// the folder it was started in, and the pipeline file's absolute path.
    package static func recordOrigin(
        _ conn: Connection, runID: Int64, source: SourceIdentity?, total: Int64?, workingDirectory: String, file: String?
    ) throws {
        try conn.query("""
            UPDATE baton.runs SET source_identity = $2::jsonb, source_total = $3, working_directory = $4, file = coalesce($5, file)
            WHERE id = $1
            """, [runID, source?.json, total, workingDirectory, file.map { absolutePath($0, from: workingDirectory) }])
    }

    /// `path` made absolute from `directory` (and standardized).
    package static func absolutePath(_ path: String, from directory: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }
}
