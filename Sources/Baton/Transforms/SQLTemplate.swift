/// A SQL statement with named parameters (`:id`, `:payload.owner`) rewritten to positional
/// ones (`$1`, `$2`), so values are always bound, never spliced into the text.
///
/// Skips string literals (`'…'`, `E'…'`), quoted identifiers, dollar-quoted strings, comments
/// and `::` casts (``SQLLexer``). The same name used twice binds the same parameter.
package struct SQLTemplate: Sendable, Hashable {
    /// The statement with `$n` placeholders.
    package let sql: String
    /// Parameter names in `$n` order, each a path of fields (`payload.owner`).
    package let parameters: [String]
    /// Bare words outside literals and comments, lower-cased (`insert`, `returning`…).
    private let words: Set<String>
    /// Where each rewritten parameter sits: (offset in `sql`, its length there, offset in the
    /// original text, its length there), in order; for mapping server error positions back.
    private let replacements: [Replacement]

    private struct Replacement: Sendable, Hashable {
        var rewritten: Int
        var rewrittenLength: Int
        var original: Int
        var originalLength: Int
    }

    package init(_ text: String) {
        var out = String.UnicodeScalarView()
        var names: [String] = []
        var words: Set<String> = []
        var replacements: [Replacement] = []
        for token in SQLLexer.tokens(of: text) {
            switch token.kind {
            case .parameter(let name):
                let position: Int
                if let existing = names.firstIndex(of: name) {
                    position = existing + 1
                } else {
                    names.append(name)
                    position = names.count
                }
                let placeholder = "$\(position)".unicodeScalars
                replacements.append(Replacement(rewritten: out.count, rewrittenLength: placeholder.count,
                                                original: token.range.lowerBound, originalLength: token.range.count))
                out.append(contentsOf: placeholder)
            case .word(let word):
                words.insert(word.lowercased())
                out.append(contentsOf: token.text)
            case .other:
                out.append(contentsOf: token.text)
            }
        }
        sql = String(out)
        parameters = names
        self.words = words
        self.replacements = replacements
    }

    /// Whether `keyword` appears as a bare word (not in a literal, identifier or comment).
    package func hasKeyword(_ keyword: String) -> Bool { words.contains(keyword.lowercased()) }

    /// The 0-based scalar offset in the original text of a 0-based offset in ``sql``.
    package func originalOffset(of rewrittenOffset: Int) -> Int {
        var shift = 0
        for replacement in replacements {
            if rewrittenOffset < replacement.rewritten { break }
            if rewrittenOffset < replacement.rewritten + replacement.rewrittenLength { return replacement.original }
            shift = replacement.original + replacement.originalLength - (replacement.rewritten + replacement.rewrittenLength)
        }
        return rewrittenOffset + shift
    }
}
