/// A string with `{{ jq }}` parts, compiled once and rendered per item.
struct Template: Sendable {
    enum Encoding: Sendable {
        /// As is (headers, raw bodies).
        case none
        /// Percent-encoded: every byte but RFC 3986 unreserved characters (URL parts, query values).
        case urlComponent
    }

    private enum Part: Sendable {
        case literal(String)
        case expression(JQProgramPool, source: String)
    }

    private let parts: [Part]
    let source: String

    /// Compiles the `{{ … }}` parts; throws the jq compile error of the first bad part.
    /// `variables`: jq variables the parts may use (`$cursor`), bound from the fields of the
    /// same name of the input object.
    init(_ source: String, variables: [String] = []) throws {
        self.source = source
        switch TemplateSyntax.pieces(of: source) {
        case .failure(let problem):
            throw StageError.permanent("template \(source): \(problem == .unclosed ? "`{{` without `}}`" : "empty `{{ }}`")", class: "config")
        case .success(let pieces):
            parts = try pieces.map { piece in
                switch piece {
                case .literal(let text): return .literal(text)
                case .expression(let program): return .expression(try JQProgramPool(Template.binding(variables, in: program)), source: program)
                }
            }
        }
    }

    /// The text for one item (JSON text). Each part must give exactly one value: strings are
    /// inserted without quotes, other values as JSON, null as an empty string.
    func render(_ payload: String, encoding: Encoding) throws -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text):
                out += text
            case .expression(let pool, let source):
                let text = try pool.plainText(json: payload) { count in
                    StageError.permanent("template part {{ \(source) }} gave \(count) values, expected 1", class: "template")
                } ?? ""
                out += encoding == .urlComponent ? Template.percentEncode(text) : text
            }
        }
        return out
    }

    /// `program` with `variables` bound from the input's fields: `. as {$a, $b} | (program)`.
    static func binding(_ variables: [String], in program: String) -> String {
        guard !variables.isEmpty else { return program }
        return ". as {" + variables.map { "$" + $0 }.joined(separator: ", ") + "} | (" + program + "\n)"
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
