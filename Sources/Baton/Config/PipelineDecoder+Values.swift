import BatonJQ
import Foundation
import Yams

/// Typed reading of values: each reader reports what is wrong and returns nil for an unusable
/// value. Messages quote values as written (`${VAR}`, never its value).
extension PipelineDecoder {
    /// A scalar after `${VAR}` expansion.
    struct ScalarValue {
        /// The value (expanded).
        var text: String
        /// Its type: plain scalars are typed like YAML (and JSON), quoted ones are text.
        var kind: ScalarKind
        /// Whether environment values went into it.
        var isInterpolated: Bool
    }

    /// A mapping with only `allowed` keys (others are reported, with a suggestion); keys in
    /// `unlisted` are accepted too but not offered in hints.
    func fields(_ node: Node, _ path: String, allowed: [String], unlisted: [String] = [], what: String) -> MappingFields? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected \(what), found \(describe(node))", hint: "valid keys here: \(allowed.joined(separator: ", "))")
            return nil
        }
        var entries: [MappingFields.Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                report(keyNode, path, "keys must be names, found \(describe(keyNode))")
                continue
            }
            let key = keyScalar.string
            if document.duplicates[key] != nil { continue }
            guard allowed.contains(key) || unlisted.contains(key) else {
                reportUnknownKey(key, keyNode, FieldPath.child(path, key), allowed: allowed)
                continue
            }
            entries.append(MappingFields.Entry(key: key, keyNode: keyNode, value: value))
        }
        return MappingFields(node: node, path: path, entries: entries)
    }

    private func reportUnknownKey(_ key: String, _ node: Node, _ path: String, allowed: [String]) {
        let hint: String
        if key == "<<" {
            hint = "YAML merge keys (<<) are not supported; put shared stage settings under `defaults:`"
        } else if let suggestion = KeySuggester.suggestion(for: key, among: allowed) {
            hint = "did you mean `\(suggestion)`?"
        } else {
            hint = "valid keys here: \(allowed.joined(separator: ", "))"
        }
        report(node, path, "unknown key `\(key)`", hint: hint)
    }

    /// A mapping with any keys (headers, query parameters, column types…), in file order.
    func map(_ node: Node, _ path: String, what: String) -> [MappingFields.Entry]? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected a mapping of \(what), found \(describe(node))")
            return nil
        }
        var entries: [MappingFields.Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode, !keyScalar.string.isEmpty else {
                report(keyNode, path, "keys must be names, found \(describe(keyNode))")
                continue
            }
            if document.duplicates[keyScalar.string] != nil { continue }
            entries.append(MappingFields.Entry(key: keyScalar.string, keyNode: keyNode, value: value))
        }
        return entries
    }

    /// The elements of a list; a single value is not accepted unless `allowSingle`.
    func sequence(_ node: Node, _ path: String, what: String, allowSingle: Bool = false) -> [Node]? {
        if case .sequence(let sequence) = node { return Array(sequence) }
        if allowSingle, case .scalar = node { return [node] }
        report(node, path, "expected a list of \(what), found \(describe(node))", hint: "write a list: [a, b] or one `- item` per line")
        return nil
    }

    /// A scalar, `${VAR}` expanded unless `interpolate` is false. Values from the environment
    /// are secrets (redacted from every message) unless `secret` is false: a number, a
    /// duration, a boolean or a keyword is no secret, and redacting `fail` (from
    /// `on_error: ${MODE}`) once mangled Baton's own words ("***ed", "baton ***ures").
    func scalar(_ node: Node, _ path: String, expected: String, interpolate: Bool = true, secret: Bool = true) -> ScalarValue? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "expected \(expected), found \(describe(node))")
            return nil
        }
        guard interpolate, EnvironmentInterpolator.needsExpansion(scalar.string) else {
            let kind = scalar.style == .plain ? ScalarKind(plain: scalar.string) : .string
            return ScalarValue(text: scalar.string, kind: kind, isInterpolated: false)
        }
        let expansion = interpolator.expand(scalar.string)
        if secret { addSecrets(expansion.secrets) }
        guard expansion.problems.isEmpty else {
            for problem in expansion.problems {
                report(node, path, problem.message, hint: problem.hint)
            }
            return nil
        }
        let kind = scalar.style == .plain ? ScalarKind(plain: expansion.value) : .string
        return ScalarValue(text: expansion.value, kind: kind, isInterpolated: expansion.isInterpolated)
    }

    /// Text (any scalar but an empty one), `${VAR}` expanded unless `interpolate` is false.
    func text(_ node: Node, _ path: String, interpolate: Bool = true, what: String = "text", secret: Bool = true) -> String? {
        guard let value = scalar(node, path, expected: what, interpolate: interpolate, secret: secret) else { return nil }
        if value.kind == .null && !value.isInterpolated {
            report(node, path, "expected \(what), found nothing", hint: "give a value or remove the key")
            return nil
        }
        return value.text
    }

    /// Text that must not be empty (after expansion).
    func nonEmptyText(_ node: Node, _ path: String, what: String, interpolate: Bool = true) -> String? {
        guard let text = text(node, path, interpolate: interpolate, what: what) else { return nil }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            report(node, path, "expected \(what), found \(shown(node))", hint: "give a value or remove the key")
            return nil
        }
        return text
    }

    func integer(_ node: Node, _ path: String, minimum: Int, maximum: Int = Int.max) -> Int? {
        let expected = maximum == Int.max ? "an integer ≥ \(minimum)" : "an integer from \(minimum) to \(maximum)"
        guard let value = scalar(node, path, expected: expected, secret: false) else { return nil }
        var number: Int?
        if case .int(let parsed) = value.kind { number = parsed }
        if number == nil, value.isInterpolated { number = Int(value.text.trimmingCharacters(in: .whitespaces)) }
        guard let number else {
            let quoted = value.kind == .string && Int(value.text) != nil && !value.isInterpolated
            report(node, path, "expected \(expected), found \(shown(node))",
                   hint: quoted ? "remove the quotes: numbers are written without them" : nil)
            return nil
        }
        guard number >= minimum, number <= maximum else {
            report(node, path, "expected \(expected), found \(shown(node))")
            return nil
        }
        return number
    }

    func number(_ node: Node, _ path: String, range: ClosedRange<Double>) -> Double? {
        func format(_ number: Double) -> String { number == number.rounded() ? String(Int(number)) : "\(number)" }
        let expected = "a number from \(format(range.lowerBound)) to \(format(range.upperBound))"
        guard let value = scalar(node, path, expected: expected, secret: false) else { return nil }
        var number: Double?
        switch value.kind {
        case .int(let parsed): number = Double(parsed)
        case .float(let parsed): number = parsed
        default: if value.isInterpolated { number = Double(value.text.trimmingCharacters(in: .whitespaces)) }
        }
        guard let number, range.contains(number) else {
            report(node, path, "expected \(expected), found \(shown(node))")
            return nil
        }
        return number
    }

    func boolean(_ node: Node, _ path: String) -> Bool? {
        guard let value = scalar(node, path, expected: "true or false", secret: false) else { return nil }
        if case .bool(let flag) = value.kind { return flag }
        if value.isInterpolated, case .bool(let flag) = ScalarKind(plain: value.text) { return flag }
        report(node, path, "expected true or false, found \(shown(node))")
        return nil
    }

    /// A duration (`500ms`, `30s`, `1m30s`); zero only if `allowZero`.
    func duration(_ node: Node, _ path: String, allowZero: Bool = false) -> Duration? {
        guard let value = scalar(node, path, expected: "a duration like 30s", secret: false) else { return nil }
        switch value.kind {
        case .int, .float:
            report(node, path, "expected a duration like 30s, found \(shown(node))", hint: DurationSyntax.suggestion(forNumber: value.text))
            return nil
        default: break
        }
        guard let duration = DurationSyntax.parse(value.text.trimmingCharacters(in: .whitespaces)) else {
            report(node, path, "expected a duration like 30s, found \(shown(node))", hint: "units: ms, s, m, h, d; combined like 1m30s")
            return nil
        }
        guard allowZero || duration > .zero else {
            report(node, path, "the duration must be longer than 0, found \(shown(node))")
            return nil
        }
        return duration
    }

    /// One of an enum's raw values.
    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, _ type: T.Type) -> T? where T.RawValue == String {
        choice(node, path, Array(T.allCases))
    }

    /// One of `cases`, by raw value.
    func choice<T: RawRepresentable>(_ node: Node, _ path: String, _ cases: [T]) -> T? where T.RawValue == String {
        let valid = cases.map(\.rawValue)
        guard let text = text(node, path, what: "one of \(valid.joined(separator: ", "))", secret: false) else { return nil }
        if let value = T(rawValue: text) { return value }
        report(node, path, "invalid value \(shown(node))", hint: choiceHint(text, valid))
        return nil
    }

    func choiceHint(_ text: String, _ valid: [String]) -> String {
        let list = "expected one of: \(valid.joined(separator: ", "))"
        guard let suggestion = KeySuggester.suggestion(for: text, among: valid) else { return list }
        return "did you mean `\(suggestion)`? \(list)"
    }

    /// An existing file: `~/` expanded; relative paths are looked up in the current directory,
    /// then in the pipeline file's folder. Returns the absolute path.
    func existingFile(_ node: Node, _ path: String, what: String) -> String? {
        existingPath(node, path, what: what, directory: false)
    }

    /// An existing directory, looked up like ``existingFile(_:_:what:)``.
    func existingDirectory(_ node: Node, _ path: String, what: String) -> String? {
        existingPath(node, path, what: what, directory: true)
    }

    private func existingPath(_ node: Node, _ path: String, what: String, directory: Bool) -> String? {
        guard let text = nonEmptyText(node, path, what: directory ? "a directory" : "a file path") else { return nil }
        let expanded = (text as NSString).expandingTildeInPath
        let candidates: [String]
        if expanded.hasPrefix("/") {
            candidates = [URL(fileURLWithPath: expanded).standardizedFileURL.path]
        } else {
            candidates = [currentDirectory, fileDirectory].map {
                URL(fileURLWithPath: expanded, relativeTo: URL(fileURLWithPath: $0, isDirectory: true)).standardizedFileURL.path
            }
        }
        var isDirectory: ObjCBool = false
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) }) else {
            let hint = expanded.hasPrefix("/")
                ? "check the path"
                : "relative paths are looked up in the current directory (\(currentDirectory)), then next to the pipeline file (\(fileDirectory))"
            report(node, path, "\(what) \(shown(node)) does not exist", hint: hint)
            return nil
        }
        guard isDirectory.boolValue == directory else {
            report(node, path, directory ? "\(what) \(shown(node)) is a file, expected a directory"
                                         : "\(what) \(shown(node)) is a directory, expected a file")
            return nil
        }
        return found
    }

    /// Compiles a jq program, reporting jq's message if it does not compile. With
    /// `holdsEnvironmentValue`, jq's message is not shown: it may quote pieces of the value.
    /// `variables`: jq variables the program may use (`$cursor`, bound by ``Template/binding(_:in:)``).
    @discardableResult
    func compileJQ(_ program: String, _ node: Node, _ path: String, what: String = "the jq program",
                   holdsEnvironmentValue: Bool = false, variables: [String] = []) -> Bool {
        guard !program.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            report(node, path, "\(what) is empty", hint: "write a jq program; `.` passes items through unchanged")
            return false
        }
        // With variables, a failure is explained by the program alone (jq's message then
        // quotes what was written, not the binding around it).
        if !variables.isEmpty, (try? JQProgramPool.check(Template.binding(variables, in: program))) != nil { return true }
        do {
            try JQProgramPool.check(program)
            return true
        } catch let error as JQError {
            guard !holdsEnvironmentValue else {
                report(node, path, "\(what) does not compile (jq's message is not shown: it could quote the environment value)",
                       hint: "a ${NAME} inside {{ }} becomes jq code; to read an environment variable in jq write $ENV.NAME")
                return false
            }
            // jq's text is written for a shell: drop the quoting remark, keep its echo of the
            // program, on one line.
            let message = error.message.replacingOccurrences(of: " (Unix shell quoting issues?)", with: "")
                .split(whereSeparator: \.isWhitespace)
                .joined(separator: " ")
                .replacingOccurrences(of: " ;", with: ";")
            report(node, path, "\(what) does not compile: \(message)", hint: "see the jq manual: https://jqlang.org/manual/")
        } catch {
            report(node, path, "\(what) does not compile: \(error)")
        }
        return false
    }

    /// What a node is, for "found …" in messages: `a mapping`, `a list`, `nothing`, or the
    /// scalar as written.
    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar: return shown(node)
        }
    }

    /// A scalar as written, in backticks (shortened), or `nothing` for an empty value.
    func shown(_ node: Node) -> String {
        guard case .scalar(let scalar) = node else { return describe(node) }
        if scalar.style == .plain, ScalarKind(plain: scalar.string) == .null, scalar.string != "null" { return "nothing" }
        if scalar.string.isEmpty { return "an empty text" }
        var text = scalar.string.replacingOccurrences(of: "\n", with: "⏎")
        if text.count > 60 { text = String(text.prefix(57)) + "…" }
        if EnvironmentInterpolator.needsExpansion(scalar.string) { return "`\(text)` (expanded from the environment)" }
        return "`\(text)`"
    }
}
