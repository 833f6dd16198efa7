import BatonJQ

/// `items: [...]`.
enum ItemsSourceKind: SourceKind {
    static let key = "items"
    static let ownKeys: [String] = []

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        let path = source.path(key)
        guard let elements = decoder.sequence(entry.value, path, what: "items") else { return nil }
        var items: [JSON] = []
        var valid = true
        for (index, element) in elements.enumerated() {
            if let value = decoder.json(element, FieldPath.element(path, index)) {
                items.append(value)
            } else {
                valid = false
            }
        }
        guard valid else { return nil }
        let definition = InlineItemsSource(items: items)
        var names: [String] = []
        for item in items {
            guard case .object(let members) = item else { return DecodedSourceKind(definition: definition) }
            for (name, _) in members where !names.contains(name) { names.append(name) }
        }
        return DecodedSourceKind(definition: definition, fields: KnownFields(names: names, origin: "the inline items"))
    }
}
