import Foundation

/// `csv: PATH`: a header row, then one object per row.
package struct CSVSource: SourceDefinition {
    /// Absolute path.
    package var path: String
    package var options: CSVOptions

    package var kindName: String { "csv" }
    package var displayName: String { path }
    package var isCheckedBeforeSeeding: Bool { true }
    package var isReadableHere: Bool { FileManager.default.isReadableFile(atPath: path) }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader { try CSVReader(path: path, options: options) }
    package func identity() throws -> SourceIdentity { try SourceIdentity.ofFile(kind: kindName, path: path) }
    package var rereadsRecords: Bool { true }
}

extension SourceSpec.Kind {
    /// A CSV file with a header row; each row becomes an object (columns typed by `options`).
    public static func csv(path: String, options: CSVOptions = CSVOptions()) -> SourceSpec.Kind {
        SourceSpec.Kind(CSVSource(path: path, options: options))
    }
}
