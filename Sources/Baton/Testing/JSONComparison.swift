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

/// A line diff of two texts for people: `- ` lines only in the expected text, `+ ` lines only
/// in the actual one, `  ` lines in both; long unchanged runs are folded to `  …`.
enum LineDiff {
    static func lines(expected: String, actual: String, context: Int = 3) -> [String] {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Too large for the quadratic table: show both whole.
        guard a.count * b.count <= 4_000_000 else { return a.map { "- " + $0 } + b.map { "+ " + $0 } }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var marked: [(kind: Character, text: String)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                marked.append((" ", a[i])); i += 1; j += 1
            } else if i < a.count, j == b.count || table[i + 1][j] >= table[i][j + 1] {
                marked.append(("-", a[i])); i += 1
            } else {
                marked.append(("+", b[j])); j += 1
            }
        }
        let changed = marked.indices.filter { marked[$0].kind != " " }
        var out: [String] = []
        var folded = false
        for (index, line) in marked.enumerated() {
            let near = changed.contains { abs($0 - index) <= context }
            if line.kind != " " || near {
                out.append("\(line.kind) \(line.text)")
                folded = false
            } else if !folded {
                out.append("  …")
                folded = true
            }
        }
        return out
    }
}
