/// Expands environment references in pipeline values.
///
/// - `${NAME}`: the variable's value; an error if it is not set (set but empty gives "").
/// - `${NAME:-default}`: the default when the variable is unset or empty.
/// - `${NAME:?message}`: an error carrying `message` when the variable is unset or empty.
/// - `$${`: a literal `${`.
///
/// A `$` not followed by `{` is kept as is. Defaults and messages run up to the first `}`.
struct EnvironmentInterpolator {
    /// The result of expanding one value.
    struct Expansion {
        /// The value with every reference replaced (meaningless if `problems` is not empty).
        var value: String
        /// Non-empty values taken from the environment (not defaults): secrets to redact.
        var secrets: [String]
        /// Whether any reference was expanded (the value is no longer as written).
        var isInterpolated: Bool
        var problems: [Problem]
    }

    /// A reference that could not be expanded. Messages quote names, never values.
    enum Problem: Equatable {
        /// `${NAME}` with NAME not set.
        case unset(name: String)
        /// `${NAME:?message}` with NAME unset or empty.
        case required(name: String, message: String)
        /// A `${` that does not form a valid reference.
        case malformed(reference: String)

        var message: String {
            switch self {
            case .unset(let name):
                return "environment variable \(name) is not set"
            case .required(let name, let message):
                return message.isEmpty
                    ? "environment variable \(name) is not set (or empty)"
                    : "environment variable \(name) is not set: \(message)"
            case .malformed(let reference):
                return "`\(reference)` is not a valid environment reference"
            }
        }

        var hint: String {
            switch self {
            case .unset(let name):
                return "set it before running (export \(name)=...), or give a default: ${\(name):-value}"
            case .required(let name, _):
                return "set it before running: export \(name)=..."
            case .malformed:
                return "write ${NAME}, ${NAME:-default} or ${NAME:?message} (NAME: letters, digits, _); for a literal ${ write $${"
            }
        }
    }

    let environment: [String: String]

    /// Whether `text` contains anything to expand.
    static func needsExpansion(_ text: String) -> Bool { text.contains("${") }

    func expand(_ text: String) -> Expansion {
        var result = Expansion(value: "", secrets: [], isInterpolated: false, problems: [])
        guard EnvironmentInterpolator.needsExpansion(text) else {
            result.value = text
            return result
        }
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                result.value += "${"
                result.isInterpolated = true
                i += 3
                continue
            }
            guard c == "$", i + 1 < chars.count, chars[i + 1] == "{" else {
                result.value.append(c)
                i += 1
                continue
            }
            guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                let reference = String(chars[i...].prefix(40))
                result.problems.append(.malformed(reference: reference))
                return result
            }
            let reference = String(chars[i...close])
            let body = String(chars[(i + 2)..<close])
            i = close + 1
            result.isInterpolated = true
            switch resolve(body) {
            case .value(let value, let isSecret):
                result.value += value
                if isSecret && !value.isEmpty && !result.secrets.contains(value) { result.secrets.append(value) }
            case .problem(let problem):
                result.problems.append(problem)
            case .malformed:
                result.problems.append(.malformed(reference: reference))
            }
        }
        return result
    }

    private enum Resolution {
        case value(String, isSecret: Bool)
        case problem(Problem)
        case malformed
    }

    /// `NAME`, `NAME:-default` or `NAME:?message`.
    private func resolve(_ body: String) -> Resolution {
        let name = String(body.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        guard let first = name.first, !first.isNumber else { return .malformed }
        let rest = body.dropFirst(name.count)
        let value = environment[name]
        if rest.isEmpty {
            guard let value else { return .problem(.unset(name: name)) }
            return .value(value, isSecret: true)
        }
        if rest.hasPrefix(":-") {
            if let value, !value.isEmpty { return .value(value, isSecret: true) }
            return .value(String(rest.dropFirst(2)), isSecret: false)
        }
        if rest.hasPrefix(":?") {
            if let value, !value.isEmpty { return .value(value, isSecret: true) }
            return .problem(.required(name: name, message: String(rest.dropFirst(2))))
        }
        return .malformed
    }
}
