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

/// Splits SQL text into what Baton must not touch (literals, quoted identifiers, dollar-quoted
/// strings, comments, `::`), bare words, and `:name` parameters.
package enum SQLLexer {
    package struct Token {
        package enum Kind: Equatable {
            case parameter(String)
            case word(String)
            case other
        }
        package var kind: Kind
        /// Scalar offsets in the text.
        package var range: Range<Int>
        package var text: ArraySlice<Unicode.Scalar>
    }

    package static func tokens(of text: String) -> [Token] {
        let chars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func emit(_ kind: Token.Kind, _ end: Int) {
            tokens.append(Token(kind: kind, range: i..<end, text: chars[i..<end]))
            i = end
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "'":
                emit(.other, endOfQuoted(chars, from: i, backslashEscapes: i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")))
            case "\"":
                emit(.other, endOfIdentifier(chars, from: i))
            case "-" where next == "-":
                emit(.other, chars[i...].firstIndex(of: "\n") ?? chars.count)
            case "/" where next == "*":
                emit(.other, endOfBlockComment(chars, from: i))
            case "$":
                emit(.other, endOfDollarQuoted(chars, from: i) ?? i + 1)
            case ":" where next == ":":
                emit(.other, i + 2)
            case ":" where next.map(isIdentifierStart) == true:
                let end = endOfParameter(chars, from: i + 1)
                emit(.parameter(String(String.UnicodeScalarView(chars[(i + 1)..<end]))), end)
            default:
                if isIdentifierStart(c) {
                    var end = i + 1
                    while end < chars.count && isIdentifierChar(chars[end]) { end += 1 }
                    emit(.word(String(String.UnicodeScalarView(chars[i..<end]))), end)
                } else {
                    emit(.other, i + 1)
                }
            }
        }
        return tokens
    }

    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.properties.isAlphabetic && c.isASCII) }
    static func isIdentifierChar(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || ("0"..."9").contains(c) }

    /// `'…'` with `''` inside (and `\'` in `E'…'`); the end is after the closing quote.
    private static func endOfQuoted(_ chars: [Unicode.Scalar], from start: Int, backslashEscapes: Bool) -> Int {
        var j = start + 1
        while j < chars.count {
            if backslashEscapes && chars[j] == "\\" { j += 2; continue }
            if chars[j] == "'" {
                if j + 1 < chars.count && chars[j + 1] == "'" { j += 2; continue }
                return j + 1
            }
            j += 1
        }
        return chars.count
    }

    private static func endOfIdentifier(_ chars: [Unicode.Scalar], from start: Int) -> Int {
        guard let close = chars[(start + 1)...].firstIndex(of: "\"") else { return chars.count }
        return close + 1
    }

    /// `/* … */`, nested.
    private static func endOfBlockComment(_ chars: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var j = start
        repeat {
            if j + 1 < chars.count && chars[j] == "/" && chars[j + 1] == "*" { depth += 1; j += 2; continue }
            if j + 1 < chars.count && chars[j] == "*" && chars[j + 1] == "/" { depth -= 1; j += 2; continue }
            j += 1
        } while depth > 0 && j < chars.count
        return min(j, chars.count)
    }

    /// `$tag$ … $tag$` (the tag may be empty); nil when `$` does not open one (`$1`).
    private static func endOfDollarQuoted(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        var j = start + 1
        while j < chars.count && isIdentifierChar(chars[j]) && !(j == start + 1 && ("0"..."9").contains(chars[j])) { j += 1 }
        guard j < chars.count && chars[j] == "$" else { return nil }
        let tag = chars[start...j]
        var k = j + 1
        while k + tag.count <= chars.count {
            if chars[k..<(k + tag.count)].elementsEqual(tag) { return k + tag.count }
            k += 1
        }
        return chars.count
    }

    /// A parameter name: identifier characters, with `.` between path parts.
    private static func endOfParameter(_ chars: [Unicode.Scalar], from start: Int) -> Int {
        var j = start
        while j < chars.count {
            if isIdentifierChar(chars[j]) {
                j += 1
            } else if chars[j] == ".", j + 1 < chars.count, isIdentifierStart(chars[j + 1]) {
                j += 1
            } else {
                break
            }
        }
        return j
    }
}
