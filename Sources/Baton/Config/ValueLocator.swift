import Yams

/// Works out where each character of a scalar's value is in the file, for plain, quoted
/// (single and double, escapes included) and block (`|`, `>`) scalars, single- or
/// multi-line.
///
/// The value is walked together with the file text from where the scalar starts: a
/// character of the value is matched to the same character of the text, and what the YAML
/// syntax adds (indentation, line breaks that folding turns into a space, quotes, escape
/// backslashes) is stepped over. Characters the syntax produces without writing them (a
/// folded line break) sit where they were made. The walk must consume the whole value;
/// otherwise (an expanded `${VAR}`, a comment inside a plain scalar…) nil is returned and
/// callers fall back to the scalar's start.
enum ValueLocator {
    static func positions(of value: String, node: Node, in lines: [[Unicode.Scalar]]) -> [ValueLocation.Position]? {
        guard case .scalar(let scalar) = node, let mark = node.mark, mark.line >= 1, mark.line <= lines.count else { return nil }
        var cursor = Cursor(lines: lines, line: mark.line - 1, column: mark.column - 1)
        switch scalar.style {
        case .literal, .folded:
            // The content starts on the line after the header (`>`, `|-`, `>2`…).
            cursor.line += 1
            cursor.column = 0
        case .singleQuoted, .doubleQuoted:
            cursor.column += 1
        case .plain, .any:
            break
        }
        let target = Array(value.unicodeScalars)
        var out: [ValueLocation.Position] = []
        out.reserveCapacity(target.count)
        var index = 0
        while index < target.count {
            let wanted = target[index]
            guard let current = cursor.current else {
                // Past the end of the file: only a final line break (block scalars) may remain.
                if wanted == "\n", let last = out.last {
                    out.append(last)
                    index += 1
                    continue
                }
                return nil
            }
            if scalar.style == .doubleQuoted, current == "\\" {
                guard let (produced, length) = cursor.escape() else { return nil }
                if let produced {
                    guard produced == wanted else { return nil }
                    out.append(cursor.position)
                    index += 1
                }
                cursor.advance(length)
                continue
            }
            if scalar.style == .singleQuoted, current == "'" {
                guard cursor.peek(1) == "'", wanted == "'" else { return nil }
                out.append(cursor.position)
                index += 1
                cursor.advance(2)
                continue
            }
            if current == wanted {
                out.append(cursor.position)
                index += 1
                cursor.advance(1)
                continue
            }
            if current == " " || current == "\t" || current == "\n" {
                if wanted == " " || wanted == "\n", current == "\n" {
                    // A line break the syntax turned into this character.
                    out.append(cursor.position)
                    index += 1
                }
                cursor.advance(1)
                continue
            }
            return nil
        }
        return out
    }

    /// A position in the file text, lines joined by `\n`.
    private struct Cursor {
        let lines: [[Unicode.Scalar]]
        var line: Int
        var column: Int

        var current: Unicode.Scalar? {
            guard line < lines.count else { return nil }
            return column < lines[line].count ? lines[line][column] : (line + 1 < lines.count ? "\n" : nil)
        }

        var position: ValueLocation.Position { ValueLocation.Position(line: line + 1, column: column + 1) }

        func peek(_ offset: Int) -> Unicode.Scalar? {
            var copy = self
            copy.advance(offset)
            return copy.current
        }

        mutating func advance(_ count: Int) {
            for _ in 0..<count {
                guard line < lines.count else { return }
                if column < lines[line].count {
                    column += 1
                } else {
                    line += 1
                    column = 0
                }
            }
        }

        /// A double-quoted escape at the cursor: what it produces (nil: nothing, an escaped
        /// line break) and how many scalars it spans.
        func escape() -> (Unicode.Scalar?, Int)? {
            guard let next = peek(1) else { return nil }
            let simple: [Unicode.Scalar: Unicode.Scalar] = [
                "n": "\n", "t": "\t", "\t": "\t", "r": "\r", "\\": "\\", "\"": "\"", "/": "/", " ": " ",
                "0": "\u{0}", "a": "\u{7}", "b": "\u{8}", "e": "\u{1B}", "f": "\u{C}", "v": "\u{B}",
                "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
            ]
            if let produced = simple[next] { return (produced, 2) }
            if next == "\n" { return (nil, 2) }
            let digits: Int
            switch next {
            case "x": digits = 2
            case "u": digits = 4
            case "U": digits = 8
            default: return nil
            }
            var text = ""
            for offset in 0..<digits {
                guard let digit = peek(2 + offset) else { return nil }
                text.unicodeScalars.append(digit)
            }
            guard let code = UInt32(text, radix: 16), let produced = Unicode.Scalar(code) else { return nil }
            return (produced, 2 + digits)
        }
    }
}
