/// The registry of source kinds.
enum SourceKinds {
    static var all: [any SourceKind.Type] {
        [JSONLSourceKind.self, CSVSourceKind.self, SQLSourceKind.self, HTTPSourceKind.self, ItemsSourceKind.self]
    }

    static var keys: [String] { all.map { $0.key } }

    static func kind(named key: String) -> (any SourceKind.Type)? { all.first { $0.key == key } }

    /// "jsonl, csv, sql, items".
    static var list: String { keys.joined(separator: ", ") }

    static var ownKeys: [(key: String, kind: String)] { all.flatMap { kind in kind.ownKeys.map { ($0, kind.key) } } }

    /// Each own key once, with every kind it belongs to (`incremental`: sql and http).
    static var owners: [(key: String, kinds: [String])] {
        var result: [(key: String, kinds: [String])] = []
        for (key, kind) in ownKeys {
            if let index = result.firstIndex(where: { $0.key == key }) { result[index].kinds.append(kind) } else { result.append((key, [kind])) }
        }
        return result
    }

    static let missingKindHint = "e.g. `jsonl: data/orders.jsonl`, or `items: [{id: 1}]` for a few inline items"
}
