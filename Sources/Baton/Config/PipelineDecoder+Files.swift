import Foundation
import Yams

/// File paths of sources: one file, or a file set (a glob or a folder).
extension PipelineDecoder {
    /// What a `jsonl:` or `csv:` value names.
    enum FileTarget {
        /// One file (absolute path), read by every run.
        case file(String)
        /// A glob or folder (absolute), each file read once per pipeline.
        case set(String)
    }

    /// A file, a folder or a glob. Relative ones are looked up in the current directory, then
    /// next to the pipeline file; a glob matching nothing (or an empty folder) is a warning:
    /// the files may arrive later.
    func fileTarget(_ node: Node, _ path: String, what: String) -> FileTarget? {
        guard let text = nonEmptyText(node, path, what: "a file, a folder or a glob") else { return nil }
        let expanded = (text as NSString).expandingTildeInPath
        let candidates = expanded.hasPrefix("/")
            ? [(expanded as NSString).standardizingPath]
            : [currentDirectory, fileDirectory].map { (($0 as NSString).appendingPathComponent(expanded) as NSString).standardizingPath }
        let lookedUp = expanded.hasPrefix("/")
            ? ""
            : "; relative paths are looked up in the current directory (\(currentDirectory)), then next to the pipeline file (\(fileDirectory))"
        if FilePattern.isGlob(expanded) {
            for candidate in candidates where !((try? FilePattern.files(candidate)) ?? []).isEmpty {
                return .set(candidate)
            }
            warn(node, path, "\(what) pattern \(shown(node)) matches no file (yet)",
                 hint: "a run reads the files that match when it starts\(lookedUp)")
            return .set(candidates[0])
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                if ((try? FilePattern.files(candidate)) ?? []).isEmpty {
                    warn(node, path, "the folder \(shown(node)) has no files (yet)", hint: "a run reads the files it holds when it starts")
                }
                return .set(candidate)
            }
        }
        if sourceFilesMayBeMissing, !candidates.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
            return .file(candidates[0])
        }
        return existingFile(node, path, what: what).map(FileTarget.file)
    }
}
