import Foundation

/// `jsonl: PATH`: one JSON value per line.
package struct JSONLSource: SourceDefinition {
    /// Absolute path.
    package var path: String

    package var kindName: String { "jsonl" }
    package var displayName: String { path }
    package var isCheckedBeforeSeeding: Bool { true }
    package var isReadableHere: Bool { FileManager.default.isReadableFile(atPath: path) }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader { try JSONLReader(path: path) }
    package func identity() throws -> SourceIdentity { try SourceIdentity.ofFile(kind: kindName, path: path) }
    package var rereadsRecords: Bool { true }
}

extension SourceSpec.Kind {
    /// A JSONL file: one JSON value per line, blank lines ignored.
    public static func jsonl(path: String) -> SourceSpec.Kind { SourceSpec.Kind(JSONLSource(path: path)) }
}
