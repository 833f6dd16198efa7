import Foundation

/// The `{{ jq }}` parts of an HTTP template (URL, query and header values, raw bodies).
///
/// A part runs from `{{` to the first `}}` outside jq strings and braces, so
/// `{{ {a: .b} | tojson }}` is one part.
enum TemplateSyntax {
    enum Piece: Equatable {
        /// Text sent as is.
        case literal(String)
        /// A jq program (trimmed) whose single output replaces the part.
        case expression(String)
    }

    enum Problem: Error, Equatable {
        /// `{{` without a matching `}}`.
        case unclosed
        /// `{{ }}` with nothing inside.
        case empty
    }

    static func pieces(of template: String) -> Result<[Piece], Problem> {
        let chars = Array(template)
        var pieces: [Piece] = []
        var literal = ""
        var i = 0
        while i < chars.count {
            guard chars[i] == "{", i + 1 < chars.count, chars[i + 1] == "{" else {
                literal.append(chars[i])
                i += 1
                continue
            }
            guard let end = closingIndex(in: chars, from: i + 2) else { return .failure(.unclosed) }
            let program = String(chars[(i + 2)..<end]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !program.isEmpty else { return .failure(.empty) }
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
            pieces.append(.expression(program))
            i = end + 2
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return .success(pieces)
    }

    /// Index of the `}}` closing a part whose program starts at `start`.
    private static func closingIndex(in chars: [Character], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var i = start
        while i < chars.count {
            let c = chars[i]
            if inString {
                if c == "\\" { i += 2; continue }
                if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" {
                depth += 1
            } else if c == "}" {
                if depth == 0, i + 1 < chars.count, chars[i + 1] == "}" { return i }
                depth = max(0, depth - 1)
            }
            i += 1
        }
        return nil
    }
}
