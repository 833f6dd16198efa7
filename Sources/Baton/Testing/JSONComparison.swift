import BatonJQ

/// JSON as `baton test` compares and shows it: equal when equal as values (object key order
/// does not matter, `1` equals `1.0`), shown with sorted keys and two-space indentation.
enum JSONComparison {
    static func equal(_ a: JSON, _ b: JSON) -> Bool { canonical(a) == canonical(b) }

    /// Compact, keys sorted.
    static func canonical(_ value: JSON) -> String { sorted(value).serialized }

    /// Keys sorted, one member or element per line.
    static func pretty(_ value: JSON) -> String {
        var out = ""
        write(sorted(value), indent: "", to: &out)
        return out
    }

    private static func sorted(_ value: JSON) -> JSON {
        switch value {
        case .object(let members):
            var seen: [String: JSON] = [:]
            for (key, member) in members { seen[key] = member }  // the last duplicate wins, as in jq
            return .object(seen.keys.sorted().map { ($0, sorted(seen[$0]!)) })
        case .array(let elements): return .array(elements.map(sorted))
        default: return value
        }
    }

    private static func write(_ value: JSON, indent: String, to out: inout String) {
        let inner = indent + "  "
        switch value {
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (index, (key, member)) in members.enumerated() {
                out += inner + JSON.string(key).serialized + ": "
                write(member, indent: inner, to: &out)
                out += index + 1 < members.count ? ",\n" : "\n"
            }
            out += indent + "}"
        case .array(let elements) where !elements.isEmpty:
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += inner
                write(element, indent: inner, to: &out)
                out += index + 1 < elements.count ? ",\n" : "\n"
            }
            out += indent + "]"
        default:
            out += value.serialized
        }
    }
}
