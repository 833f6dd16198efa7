import BatonPostgres
import Foundation

/// `jsonl:` or `csv:` naming a glob or a folder: every file of the set is read once per
/// pipeline. A file is remembered (`baton.source_files`: path, size, checksum) with the chunk
/// holding its last record; later runs skip it unless it changed. `.gz` files are read
/// decompressed. Positions, `on_error` and messages are per file.
package struct FileSetSource: SourceDefinition {
    package enum Format: Sendable {
        case jsonl
        case csv(CSVOptions)
    }

    /// Absolute glob or folder.
    package var pattern: String
    package var format: Format

    package var kindName: String {
        switch format {
        case .jsonl: "jsonl"
        case .csv: "csv"
        }
    }
    package var displayName: String { pattern }
    package var isCheckedBeforeSeeding: Bool { true }
    package var isReadableHere: Bool { FileManager.default.fileExists(atPath: FilePattern.folder(of: pattern)) }

    /// The set is meant to grow: a run is its pattern, not the files it held at the start.
    package func identity() throws -> SourceIdentity {
        SourceIdentity(kind: "files", path: pattern, size: 0, hash: StableHash.hex("files\u{1}" + pattern))
    }
    /// Bad records of a file set are left out of a replay (they belong to one of many files).
    package var rereadsRecords: Bool { false }
    /// Each run reads the files no earlier run read.
    package var isSharedBetweenRuns: Bool { true }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader {
        let format = self.format
        return FileSetReader(pattern: pattern, context: context) { path in
            switch format {
            case .jsonl: try JSONLReader(path: path)
            case .csv(let options): try CSVReader(path: path, options: options)
            }
        }
    }
}

extension SourceSpec.Kind {
    /// The JSONL files of a glob or folder, each read once per pipeline (again when changed).
    public static func jsonlFiles(_ pattern: String) -> SourceSpec.Kind { SourceSpec.Kind(FileSetSource(pattern: pattern, format: .jsonl)) }

    /// The CSV files of a glob or folder (each with its header row), each read once per
    /// pipeline (again when changed).
    public static func csvFiles(_ pattern: String, options: CSVOptions = CSVOptions()) -> SourceSpec.Kind {
        SourceSpec.Kind(FileSetSource(pattern: pattern, format: .csv(options)))
    }
}
