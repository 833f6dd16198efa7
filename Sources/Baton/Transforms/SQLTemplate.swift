/// A SQL statement with named parameters (`:id`, `:payload.owner`) rewritten to positional
/// ones (`$1`, `$2`), so values are always bound, never spliced into the text.
///
/// Skips string literals (`'…'`, `E'…'`), quoted identifiers, dollar-quoted strings, comments
/// and `::` casts. The same name used twice binds the same parameter.
public struct SQLTemplate: Sendable, Hashable {
    /// The statement with `$n` placeholders.
    public let sql: String
    /// Parameter names in `$n` order, each a path of fields (`payload.owner` → ["payload", "owner"]).
    public let parameters: [String]
    /// Byte offsets (in the original text) of each parameter's first use, for error messages.
    public let offsets: [Int]

    public init(_ text: String) {
        var out = ""
        var names: [String] = []
        var offsets: [Int] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.properties.isAlphabetic && c.isASCII) }
        func isIdentChar(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || ("0"..."9").contains(c) }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "'":
                let escaped = i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                var j = i + 1
                while j < chars.count {
                    if escaped && chars[j] == "\\" { j += 2; continue }
                    if chars[j] == "'" {
                        if j + 1 < chars.count && chars[j + 1] == "'" { j += 2; continue }
                        break
                    }
                    j += 1
                }
                let end = min(j + 1, chars.count)
                out.unicodeScalars.append(contentsOf: chars[i..<end])
                i = end
            case "\"":
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += 1 }
                let end = min(j + 1, chars.count)
                out.unicodeScalars.append(contentsOf: chars[i..<end])
                i = end
            case "-" where next == "-":
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                out.unicodeScalars.append(contentsOf: chars[i..<j])
                i = j
            case "/" where next == "*":
                var depth = 0
                var j = i
                repeat {
                    if j + 1 < chars.count && chars[j] == "/" && chars[j + 1] == "*" { depth += 1; j += 2; continue }
                    if j + 1 < chars.count && chars[j] == "*" && chars[j + 1] == "/" { depth -= 1; j += 2; continue }
                    j += 1
                } while depth > 0 && j < chars.count
                out.unicodeScalars.append(contentsOf: chars[i..<min(j, chars.count)])
                i = min(j, chars.count)
            case "$":
                // Dollar quoting: $tag$ … $tag$ (tag may be empty). `$1` is left as is.
                var j = i + 1
                while j < chars.count && isIdentChar(chars[j]) && !(j == i + 1 && ("0"..."9").contains(chars[j])) { j += 1 }
                if j < chars.count && chars[j] == "$" {
                    let tag = Array(chars[i...j])
                    var k = j + 1
                    var closed = chars.count
                    while k + tag.count <= chars.count {
                        if Array(chars[k..<(k + tag.count)]) == tag { closed = k + tag.count; break }
                        k += 1
                    }
                    out.unicodeScalars.append(contentsOf: chars[i..<closed])
                    i = closed
                } else {
                    out.unicodeScalars.append(c)
                    i += 1
                }
            case ":" where next == ":":
                out += "::"
                i += 2
            case ":" where next.map(isIdentStart) == true:
                var j = i + 1
                var name = ""
                while j < chars.count {
                    if isIdentChar(chars[j]) {
                        name.unicodeScalars.append(chars[j])
                        j += 1
                    } else if chars[j] == ".", j + 1 < chars.count, isIdentStart(chars[j + 1]) {
                        name += "."
                        j += 1
                    } else {
                        break
                    }
                }
                let position: Int
                if let existing = names.firstIndex(of: name) {
                    position = existing + 1
                } else {
                    names.append(name)
                    offsets.append(i)
                    position = names.count
                }
                out += "$\(position)"
                i = j
            default:
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        sql = out
        parameters = names
        self.offsets = offsets
    }
}
