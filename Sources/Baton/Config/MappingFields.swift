import Yams

/// The entries of one YAML mapping of a pipeline file, keyed by their text, with the path of
/// the mapping for messages. Duplicate-key markers are left out (they are reported separately).
struct MappingFields {
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    /// The mapping itself (its position is where "missing key" errors point).
    var node: Node
    /// Path of the mapping (`stages[2].http`); empty for the top level.
    var path: String
    var entries: [Entry]

    subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }

    func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }

    func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// Path of a field of this mapping.
    func path(_ key: String) -> String { FieldPath.child(path, key) }
}
