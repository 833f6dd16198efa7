import BatonJQ

/// What a stream child answered for one item: one JSON line, `{"items": [...]}` (0…n
/// outputs) or `{"error": "...", "permanent": true|false}` (with an optional `"class"`).
enum CoprocessAnswer: Equatable {
    /// The outputs, as compact JSON texts.
    case items([String])
    case error(message: String, permanent: Bool, errorClass: String?)

    /// A line that breaks the protocol (the child is then restarted).
    struct Violation: Error, Equatable {
        var reason: String
    }

    static let expected = #"expected one JSON line per item: {"items": [...]} or {"error": "...", "permanent": true|false}"#

    static func parse(_ line: LineSplitter.Line) -> Result<CoprocessAnswer, Violation> {
        if line.truncated { return .failure(Violation(reason: "an answer line longer than \(line.bytes.count) bytes")) }
        if let bad = LineReader.firstInvalidUTF8(in: line.bytes) {
            return .failure(Violation(reason: "a line that is not valid UTF-8 (byte \(bad + 1))"))
        }
        let text = line.text
        let value: JSON
        do {
            value = try JSON(parsing: text)
        } catch {
            return .failure(Violation(reason: "a line that is not JSON: \(shown(text))"))
        }
        guard case .object(let members) = value else {
            return .failure(Violation(reason: "a line that is not a JSON object: \(shown(text))"))
        }
        let items = value["items"], error = value["error"]
        switch (items, error) {
        case (.array(let outputs)?, nil):
            return .success(.items(outputs.map(\.serialized)))
        case (nil, .string(let message)?):
            var permanent = false
            switch value["permanent"] {
            case nil, .null?: break
            case .bool(let flag)?: permanent = flag
            default: return .failure(Violation(reason: "`permanent` must be true or false: \(shown(text))"))
            }
            var errorClass: String?
            switch value["class"] {
            case nil, .null?: break
            case .string(let name)?: errorClass = name
            default: return .failure(Violation(reason: "`class` must be text: \(shown(text))"))
            }
            return .success(.error(message: message, permanent: permanent, errorClass: errorClass))
        default:
            let keys = members.map(\.0)
            return .failure(Violation(reason: "an object with the keys [\(keys.joined(separator: ", "))]: \(shown(text))"))
        }
    }

    private static func shown(_ text: String) -> String {
        text.count > 120 ? String(text.prefix(117)) + "…" : text
    }
}
