/// Finds, in the text, the second occurrence of a mapping key that Yams reported as
/// duplicated (Yams gives only the first occurrence's position).
///
/// Block mappings: siblings start at the same column on later lines, until a line starts
/// further left. Flow mappings (`{a: 1, a: 2}`, JSON): siblings follow a comma at the same
/// nesting depth, until the mapping closes.
enum DuplicateKeyLocator {
    struct Occurrence: Equatable {
        /// 1-based line and column (Unicode scalars), and length of the key as written.
        var line: Int
        var column: Int
        var length: Int
    }

    static func laterOccurrence(of name: String, after first: YAMLDocument.Position, in text: String) -> Occurrence? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let row = first.line - 1, column = first.column - 1
        guard lines.indices.contains(row), lines[row].indices.contains(column),
              let firstLength = keyLength(of: name, in: lines[row], at: column, flow: true) else { return nil }
        if isInFlowCollection(lines: lines, row: row, column: column) {
            return flowSibling(of: name, lines: lines, row: row, column: column + firstLength)
        }
        return blockSibling(of: name, lines: lines, row: row, column: column)
    }

    /// `text` with the key at `occurrence` replaced by `replacement`.
    static func replace(_ occurrence: Occurrence, with replacement: String, in text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let row = occurrence.line - 1, start = occurrence.column - 1
        lines[row].replaceSubrange(start..<(start + occurrence.length), with: replacement.unicodeScalars)
        return lines.map { line in
            var text = ""
            text.unicodeScalars.append(contentsOf: line)
            return text
        }.joined(separator: "\n")
    }

    private static func blockSibling(of name: String, lines: [[Unicode.Scalar]], row: Int, column: Int) -> Occurrence? {
        for index in (row + 1)..<max(row + 1, lines.count) {
            let line = lines[index]
            guard let indent = line.firstIndex(where: { $0 != " " && $0 != "\r" }), line[indent] != "#" else { continue }
            if indent < column { return nil }
            if indent == column, let length = keyLength(of: name, in: line, at: indent, flow: false) {
                return Occurrence(line: index + 1, column: indent + 1, length: length)
            }
        }
        return nil
    }

    private static func flowSibling(of name: String, lines: [[Unicode.Scalar]], row: Int, column: Int) -> Occurrence? {
        var depth = 0
        var quote: Unicode.Scalar?
        var expectKey = false
        var r = row, c = column
        while r < lines.count {
            let line = lines[r]
            while c < line.count {
                let ch = line[c]
                if let open = quote {
                    if open == "\"" && ch == "\\" { c += 2; continue }
                    if ch == open { quote = nil }
                    c += 1
                    continue
                }
                if expectKey && ch != " " && ch != "\t" && ch != "\r" {
                    expectKey = false
                    if let length = keyLength(of: name, in: line, at: c, flow: true) {
                        return Occurrence(line: r + 1, column: c + 1, length: length)
                    }
                }
                switch ch {
                case "\"", "'": quote = ch
                case "{", "[": depth += 1
                case "}", "]":
                    if depth == 0 { return nil }
                    depth -= 1
                case ",": if depth == 0 { expectKey = true }
                case "#" where c == 0 || line[c - 1] == " ": c = line.count; continue
                default: break
                }
                c += 1
            }
            r += 1
            c = 0
        }
        return nil
    }

    /// Whether the key at (row, column) is inside `{…}`: the previous non-blank character is
    /// `{` or `,`.
    private static func isInFlowCollection(lines: [[Unicode.Scalar]], row: Int, column: Int) -> Bool {
        var r = row, c = column - 1
        while r >= 0 {
            while c >= 0 {
                let ch = lines[r][c]
                if ch != " " && ch != "\t" && ch != "\r" { return ch == "{" || ch == "," }
                c -= 1
            }
            r -= 1
            if r >= 0 { c = lines[r].count - 1 }
        }
        return false
    }

    /// Length of `name` written as a key at `start` (plain, 'single' or "double" quoted, then
    /// optional spaces and `:`), or nil if the key there is another one.
    private static func keyLength(of name: String, in line: [Unicode.Scalar], at start: Int, flow: Bool) -> Int? {
        let key = Array(name.unicodeScalars)
        for (open, close) in [("", ""), ("\"", "\""), ("'", "'")] as [(String, String)] {
            let form = Array(open.unicodeScalars) + key + Array(close.unicodeScalars)
            guard start + form.count <= line.count, Array(line[start..<(start + form.count)]) == form else { continue }
            var end = start + form.count
            while end < line.count, line[end] == " " || line[end] == "\t" { end += 1 }
            guard end < line.count, line[end] == ":" else { continue }
            let after = end + 1
            if !flow && open.isEmpty && after < line.count && line[after] != " " && line[after] != "\r" { continue }
            return form.count
        }
        return nil
    }
}
