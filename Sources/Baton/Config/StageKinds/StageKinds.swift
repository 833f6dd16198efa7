/// The registry of stage kinds.
enum StageKinds {
    static var all: [any StageKind.Type] { [JQStageKind.self, SQLStageKind.self, HTTPStageKind.self, ExecStageKind.self, SwiftStageKind.self] }

    static var keys: [String] { all.map { $0.key } }

    static func kind(named key: String) -> (any StageKind.Type)? { all.first { $0.key == key } }

    /// The kinds messages offer: `swift` only when the loading program registered Swift
    /// stages (the `baton` command has none; a `swift:` key is still read and explained).
    static func offered(swift: Bool) -> [any StageKind.Type] {
        all.filter { swift || $0.key != SwiftStageKind.key }
    }

    /// "jq, sql, http, exec" (and ", swift").
    static func list(swift: Bool) -> String { offered(swift: swift).map { $0.key }.joined(separator: ", ") }

    /// Every kind's own keys (allowed on a stage of that kind only).
    static var ownKeys: [(key: String, kind: String)] { all.flatMap { kind in kind.ownKeys.map { ($0, kind.key) } } }
}
