package import BatonJQ
import BatonPostgres
public import Foundation

/// `items: [...]`: items listed in the pipeline itself.
package struct InlineItemsSource: SourceDefinition {
    package var items: [JSON]

    package var kindName: String { "items" }
    package var displayName: String { "source items" }
    package var isCheckedBeforeSeeding: Bool { true }
    package var isReadableHere: Bool { true }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader { InlineItemsReader(items: items) }
    package func identity() throws -> SourceIdentity {
        SourceIdentity(kind: kindName, size: Int64(items.count), hash: StableHash.hex(items.map(\.serialized).joined(separator: "\n")))
    }
    package var rereadsRecords: Bool { true }
}

extension SourceSpec.Kind {
    /// Items given as JSON texts (small lookups, tests); a text that is not JSON is an error.
    public static func items(json texts: [String]) throws -> SourceSpec.Kind {
        var items: [JSON] = []
        for (index, text) in texts.enumerated() {
            do {
                items.append(try JSON(parsing: text))
            } catch {
                throw BatonError(.config, "source item \(index + 1) is not JSON: \(error)")
            }
        }
        return .items(items)
    }

    /// Items encoded as JSON.
    public static func items<T: Encodable>(_ values: [T], encoder: JSONEncoder = JSONEncoder()) throws -> SourceSpec.Kind {
        try .items(json: values.map { String(decoding: try encoder.encode($0), as: UTF8.self) })
    }

    /// Items as JSON values.
    package static func items(_ items: [JSON]) -> SourceSpec.Kind { SourceSpec.Kind(InlineItemsSource(items: items)) }
}
