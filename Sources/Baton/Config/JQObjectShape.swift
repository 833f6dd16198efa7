import Foundation

/// The fields of the objects a jq program outputs, when the program plainly ends in an object
/// construction: `{id, stars, lang: .language}` or `select(.x) | {a: .b, c}`.
///
/// Deliberately conservative: anything else (`{a} + {b}`, `if … end`, computed keys like
/// `(.k): 1` or `"\(.k)": 1`) gives nil, meaning "unknown", and no check is made.
enum JQObjectShape {
    static func fields(of program: String) -> [String]? {
        let chars = Array(program)
        guard let (open, close) = finalObject(in: chars) else { return nil }
        let before = String(chars[..<open]).trimmingCharacters(in: .whitespacesAndNewlines)
        // Only a top-level pipe (not `|=`, `+`, `,`, `//` …) makes the object the whole output.
        guard before.isEmpty || before.hasSuffix("|") else { return nil }
        var names: [String] = []
        for entry in topLevelSplit(chars[(open + 1)..<close], at: ",") {
            let parts = topLevelSplit(entry, at: ":")
            guard let keyPart = parts.first else { return nil }
            let key = String(keyPart).trimmingCharacters(in: .whitespacesAndNewlines)
            if key.isEmpty && parts.count == 1 { continue }  // `{}` or a trailing comma
            guard let name = keyName(key) else { return nil }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The `{` and `}` of the object construction ending the program, if it ends in one.
    private static func finalObject(in chars: [Character]) -> (Int, Int)? {
        enum Frame { case bracket(Character, Int), string, interpolation }
        var stack: [Frame] = []
        var lastObject: (Int, Int)?
        var lastCode = -1
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if case .string? = stack.last {
                if c == "\\" {
                    if i + 1 < chars.count, chars[i + 1] == "(" { stack.append(.interpolation); i += 2; continue }
                    i += 2
                    continue
                }
                if c == "\"" { stack.removeLast() }
                i += 1
                continue
            }
            switch c {
            case "#":
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            case "\"": stack.append(.string)
            case "(", "[", "{": stack.append(.bracket(c, i))
            case ")":
                if case .interpolation? = stack.last { stack.removeLast(); i += 1; continue }
                guard case .bracket("(", _)? = stack.popLast() else { return nil }
            case "]":
                guard case .bracket("[", _)? = stack.popLast() else { return nil }
            case "}":
                guard case .bracket("{", let open)? = stack.popLast() else { return nil }
                if stack.isEmpty { lastObject = (open, i) }
            default: break
            }
            if !c.isWhitespace { lastCode = i }
            i += 1
        }
        guard stack.isEmpty, let lastObject, lastObject.1 == lastCode else { return nil }
        return lastObject
    }

    /// Splits at `separator` where it is outside strings and brackets.
    private static func topLevelSplit(_ chars: ArraySlice<Character>, at separator: Character) -> [ArraySlice<Character>] {
        var parts: [ArraySlice<Character>] = []
        var depth = 0
        var inString = false
        var start = chars.startIndex
        var i = chars.startIndex
        while i < chars.endIndex {
            let c = chars[i]
            if inString {
                if c == "\\" { i += 2; continue }
                if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if "([{".contains(c) {
                depth += 1
            } else if ")]}".contains(c) {
                depth -= 1
            } else if c == separator, depth == 0 {
                parts.append(chars[start..<i])
                start = i + 1
            }
            i += 1
        }
        parts.append(chars[start..<min(i, chars.endIndex)])
        return parts
    }

    /// `name`, `$name` or `"name"` (without interpolation); nil for computed keys.
    private static func keyName(_ key: String) -> String? {
        func isIdentifier(_ text: Substring) -> Bool {
            guard let first = text.first, first.isASCII, first.isLetter || first == "_" else { return false }
            return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        if isIdentifier(Substring(key)) { return key }
        if key.hasPrefix("$"), isIdentifier(key.dropFirst()) { return String(key.dropFirst()) }
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") {
            let inner = key.dropFirst().dropLast()
            guard !inner.contains("\\"), !inner.contains("\"") else { return nil }
            return String(inner)
        }
        return nil
    }
}
