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
