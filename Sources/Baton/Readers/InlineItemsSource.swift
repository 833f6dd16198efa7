public import BatonJQ

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
    /// Items listed in the pipeline itself (tests, small lookups).
    public static func items(_ items: [JSON]) -> SourceSpec.Kind { SourceSpec.Kind(InlineItemsSource(items: items)) }
}
