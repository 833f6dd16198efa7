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
