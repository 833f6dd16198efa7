/// The set-based form of a one-row `INSERT … VALUES (…)` statement: the same insert for a
/// whole batch of items in ONE statement, each parameter bound as an array.
///
/// `INSERT INTO t (a, b) VALUES ($1, lower($2)) ON CONFLICT (a) DO UPDATE …` becomes
/// `INSERT INTO t (a, b) SELECT b.p1, lower(b.p2) FROM unnest($1::bigint[], $2::text[])
/// WITH ORDINALITY AS b(p1, p2, n) ORDER BY b.n ON CONFLICT (a) DO UPDATE …`: the VALUES
/// expressions are kept as written, rows are inserted in batch order (so concurrent batches
/// lock rows in the same order), and each array's element type is the type Postgres inferred
/// for that parameter in the one-row statement, so values convert exactly as they would
/// one by one. Anything else (UPDATE, CTEs, several VALUES rows, RETURNING) has no batch form
/// and runs item by item.
package struct SQLBatchForm: Sendable {
    /// The text before `VALUES`.
    private let head: String
    /// The expressions inside `VALUES ( … )`, with `$n` not yet replaced.
    private let values: [SQLLexer.Token]
    /// The text after the closing parenthesis.
    private let tail: String
    private let parameterCount: Int

    /// nil when the statement (with `$n` placeholders) has no batch form.
    package init?(_ sql: String, parameterCount: Int) {
        guard parameterCount > 0 else { return nil }
        let tokens = SQLLexer.tokens(of: sql)
        let words = tokens.enumerated().compactMap { index, token -> (Int, String)? in
            if case .word(let word) = token.kind { return (index, word.lowercased()) }
            return nil
        }
        guard words.first?.1 == "insert", words.count > 1, words[1].1 == "into",
              !words.contains(where: { $0.1 == "returning" || $0.1 == "with" || $0.1 == "select" || $0.1 == "default" }),
              let valuesIndex = words.first(where: { $0.1 == "values" })?.0 else { return nil }
        // VALUES, then one parenthesised row.
        var index = valuesIndex + 1
        while index < tokens.count, SQLBatchForm.isSpace(tokens[index]) { index += 1 }
        guard index < tokens.count, SQLBatchForm.text(tokens[index]) == "(" else { return nil }
        var depth = 0
        var close: Int?
        for j in index..<tokens.count {
            let text = SQLBatchForm.text(tokens[j])
            if text == "(" { depth += 1 }
            if text == ")" { depth -= 1; if depth == 0 { close = j; break } }
        }
        guard let close else { return nil }
        // A second row (`VALUES (…), (…)`) has no batch form.
        var after = close + 1
        while after < tokens.count, SQLBatchForm.isSpace(tokens[after]) { after += 1 }
        if after < tokens.count, SQLBatchForm.text(tokens[after]) == "," { return nil }
        head = tokens[..<valuesIndex].map(SQLBatchForm.text).joined()
        values = Array(tokens[(index + 1)..<close])
        tail = tokens[(close + 1)...].map(SQLBatchForm.text).joined()
        self.parameterCount = parameterCount
    }

    /// The batch statement, given the parameter types of the one-row statement.
    package func statement(types: [String]) -> String {
        var expressions = ""
        var i = 0
        while i < values.count {
            let text = SQLBatchForm.text(values[i])
            // `$n` arrives as `$` followed by digits (the lexer leaves placeholders alone).
            if text == "$" {
                var digits = ""
                var j = i + 1
                while j < values.count, let digit = SQLBatchForm.text(values[j]).first, digit.isASCII, digit.isNumber {
                    digits += SQLBatchForm.text(values[j])
                    j += 1
                }
                if let n = Int(digits) {
                    expressions += "b.p\(n)"
                    i = j
                    continue
                }
            }
            expressions += text
            i += 1
        }
        let arrays = (1...parameterCount).map { n -> String in
            let type = n <= types.count && types[n - 1] != "unknown" ? types[n - 1] : "text"
            return "$\(n)::\(type)[]"
        }
        let columns = (1...parameterCount).map { "p\($0)" }.joined(separator: ", ")
        return "\(head)SELECT \(expressions) FROM unnest(\(arrays.joined(separator: ", "))) WITH ORDINALITY AS b(\(columns), baton_n) ORDER BY b.baton_n\(tail)"
    }

    private static func text(_ token: SQLLexer.Token) -> String { String(String.UnicodeScalarView(token.text)) }

    private static func isSpace(_ token: SQLLexer.Token) -> Bool {
        token.kind == .other && token.text.allSatisfy { $0.properties.isWhitespace }
    }
}
