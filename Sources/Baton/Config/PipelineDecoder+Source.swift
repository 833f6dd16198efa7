import BatonJQ
import Foundation
import Yams

/// The `source:` block.
extension PipelineDecoder {
    /// `declaredAt`: the `source:` key, whose line is the source's location.
    func decodeSource(_ node: Node, _ path: String, declaredAt: Node) -> SourceDraft? {
        guard let source = fields(node, path, allowed: PipelineKeys.source, what: "a mapping with one of \(SourceKinds.list)") else {
            return nil
        }
        let before = errors.count
        let kinds = source.entries.filter { SourceKinds.kind(named: $0.key) != nil }
        if kinds.isEmpty {
            report(node, path, "the source needs one of \(SourceKinds.list)", hint: SourceKinds.missingKindHint)
        }
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                report(extra.keyNode, source.path(extra.key),
                       "a source has one kind, but this one has both `\(first.key)` (line \(line(of: first.keyNode))) and `\(extra.key)`",
                       hint: "keep only one of them")
            }
        }
        let kind = kinds.first?.key
        for (key, owners) in SourceKinds.owners where source.contains(key) && !owners.contains(kind ?? "") {
            let list = owners.count == 1 ? owners[0] : owners.dropLast().joined(separator: ", ") + " and " + owners.last!
            report(source.keyNode(key), source.path(key), "`\(key)` applies only to \(list) sources",
                   hint: kind.map { "this source is \($0); remove `\(key)`" } ?? "remove it")
        }

        var draft = SourceDraft()
        var built: (any SourceDefinition)?
        for entry in kinds {
            guard let decoder = SourceKinds.kind(named: entry.key) else { continue }
            // Every kind present is decoded, so all of its problems are reported at once.
            let decoded = decoder.decode(entry, of: source, by: self)
            if entry.key == kind {
                built = decoded?.definition
                draft.fields = decoded?.fields
            }
        }

        var key: String?
        if let node = source["key"],
           let program = nonEmptyText(node, source.path("key"), what: "a jq expression", interpolate: false),
           compileJQ(program, node, source.path("key"), what: "the key expression") {
            key = program
        }
        let onError = source["on_error"].flatMap { choice($0, source.path("on_error"), [SourceSpec.OnError.fail, .skip]) }
        var window: Duration?
        if let node = source["dedupe"],
           let dedupe = fields(node, source.path("dedupe"), allowed: PipelineKeys.dedupe, what: "a mapping like { window: 24h }") {
            if let windowNode = dedupe["window"] {
                window = duration(windowNode, dedupe.path("window"))
            } else {
                report(node, dedupe.path("window"), "missing required key `window`",
                       hint: "say how long a completed key is remembered, e.g. `dedupe: { window: 24h }`")
            }
        }
        var incremental: IncrementalSpec?
        if let node = source["incremental"], SourceKinds.owners.first(where: { $0.key == "incremental" })?.kinds.contains(kind ?? "") == true {
            incremental = decodeIncremental(node, source.path("incremental"))
        }
        if errors.count == before, let built {
            draft.spec = SourceSpec(SourceSpec.Kind(built), key: key, onError: onError ?? .fail, dedupeWindow: window,
                                    incremental: incremental, location: location(of: declaredAt))
        }
        return draft
    }

    /// A YAML node as JSON: plain scalars typed as in YAML (numbers, true/false, null),
    /// quoted ones text; `${VAR}` expanded in values, not in keys.
    func json(_ node: Node, _ path: String) -> JSON? {
        switch node {
        case .scalar:
            guard let value = scalar(node, path, expected: "a value") else { return nil }
            switch value.kind {
            case .null: return .null
            case .bool(let flag): return .bool(flag)
            case .int(let number): return .number(Double(number))
            case .float(let number):
                guard number.isFinite else {
                    report(node, path, "\(shown(node)) has no JSON equivalent", hint: "write a finite number, or quote it to make it text")
                    return nil
                }
                return .number(number)
            case .string: return .string(value.text)
            }
        case .sequence(let sequence):
            var elements: [JSON] = []
            var valid = true
            for (index, element) in sequence.enumerated() {
                if let value = json(element, FieldPath.element(path, index)) { elements.append(value) } else { valid = false }
            }
            return valid ? .array(elements) : nil
        case .mapping(let mapping):
            var members: [(String, JSON)] = []
            var valid = true
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    report(key, path, "object keys must be text, found \(describe(key))")
                    valid = false
                    continue
                }
                if document.duplicates[keyScalar.string] != nil { valid = false; continue }
                if let member = json(value, FieldPath.child(path, keyScalar.string)) {
                    members.append((keyScalar.string, member))
                } else {
                    valid = false
                }
            }
            return valid ? .object(members) : nil
        case .alias:
            report(node, path, "aliases are not supported here")
            return nil
        }
    }

    /// The line a node starts on.
    func line(of node: Node) -> Int { document.position(of: node)?.line ?? 1 }
}
