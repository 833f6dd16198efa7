import BatonJQ
import Foundation
import Yams

/// The `source:` block.
extension PipelineDecoder {
    /// `declaredAt`: the `source:` key, whose line is the source's location.
    func decodeSource(_ node: Node, _ path: String, declaredAt: Node) -> SourceDraft? {
        guard let source = fields(node, path, allowed: PipelineKeys.source, what: "a mapping with one of jsonl, csv, sql, items") else {
            return nil
        }
        let before = errors.count
        let kinds = source.entries.filter { PipelineKeys.sourceKinds.contains($0.key) }
        if kinds.isEmpty {
            report(node, path, "the source needs one of jsonl, csv, sql, items",
                   hint: "e.g. `jsonl: data/orders.jsonl`, or `items: [{id: 1}]` for a few inline items")
        }
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                report(extra.keyNode, source.path(extra.key),
                       "a source has one kind, but this one has both `\(first.key)` (line \(line(of: first.keyNode))) and `\(extra.key)`",
                       hint: "keep only one of them")
            }
        }
        let kind = kinds.first?.key
        for (key, owner) in [("delimiter", "csv"), ("types", "csv"), ("database_url", "sql")] where source.contains(key) && kind != owner {
            report(source.keyNode(key), source.path(key), "`\(key)` applies only to \(owner) sources",
                   hint: kind.map { "this source is \($0); remove `\(key)`" } ?? "remove it")
        }

        var draft = SourceDraft()
        var built: SourceSpec.Kind?
        for entry in kinds {
            let fieldPath = source.path(entry.key)
            var result: (kind: SourceSpec.Kind?, fields: KnownFields?) = (nil, nil)
            switch entry.key {
            case "jsonl":
                result.kind = existingFile(entry.value, fieldPath, what: "the JSONL file").map { .jsonl(path: $0) }
            case "csv":
                result = decodeCSV(entry.value, source)
            case "sql":
                let query = nonEmptyText(entry.value, fieldPath, what: "a SQL query")
                let database = source["database_url"].flatMap { nonEmptyText($0, source.path("database_url"), what: "a database URL") }
                if let query, source["database_url"] == nil || database != nil {
                    result.kind = .sql(query: query, databaseURL: database)
                }
            default:
                result = decodeItems(entry.value, fieldPath)
            }
            if entry.key == kind {
                built = result.kind
                draft.fields = result.fields
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
        if errors.count == before, let built {
            draft.spec = SourceSpec(built, key: key, onError: onError ?? .fail, dedupeWindow: window, location: location(of: declaredAt))
        }
        return draft
    }

    private func decodeCSV(_ node: Node, _ source: MappingFields) -> (kind: SourceSpec.Kind?, fields: KnownFields?) {
        let file = existingFile(node, source.path("csv"), what: "the CSV file")
        var options = CSVOptions()
        var valid = true
        if let delimiterNode = source["delimiter"] {
            valid = false
            if let text = text(delimiterNode, source.path("delimiter"), what: "one character") {
                if text.count == 1, let character = text.first, character != "\"", !character.isNewline {
                    options.delimiter = character
                    valid = true
                } else {
                    report(delimiterNode, source.path("delimiter"),
                           "the delimiter must be one character (not a quote or a line break), found \(shown(delimiterNode))",
                           hint: "e.g. delimiter: \";\" (a tab: delimiter: \"\\t\")")
                }
            }
        }
        var typeKeys: [MappingFields.Entry] = []
        if let typesNode = source["types"] {
            if let entries = map(typesNode, source.path("types"), what: "column types (column: integer)") {
                typeKeys = entries
                for entry in entries {
                    if let type = choice(entry.value, FieldPath.child(source.path("types"), entry.key), CSVOptions.ColumnType.self) {
                        options.types[entry.key] = type
                    } else {
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        }
        guard let file, valid else { return (nil, nil) }
        let columns: [String]
        do {
            columns = try CSVReader(path: file, options: options).columns
        } catch {
            report(node, source.path("csv"), "cannot read the CSV header: \(error)", hint: "the first line of the file must name the columns")
            return (nil, nil)
        }
        for entry in typeKeys where !columns.contains(entry.key) {
            report(entry.keyNode, FieldPath.child(source.path("types"), entry.key), "column `\(entry.key)` is not in the CSV header",
                   hint: (KeySuggester.suggestion(for: entry.key, among: columns).map { "did you mean `\($0)`? " } ?? "")
                       + "columns: \(columns.joined(separator: ", "))")
        }
        let origin = "the CSV file (columns of its header)"
        return (.csv(path: file, options: options), KnownFields(names: columns, origin: origin))
    }

    private func decodeItems(_ node: Node, _ path: String) -> (kind: SourceSpec.Kind?, fields: KnownFields?) {
        guard let elements = sequence(node, path, what: "items") else { return (nil, nil) }
        var items: [JSON] = []
        var valid = true
        for (index, element) in elements.enumerated() {
            if let value = json(element, FieldPath.element(path, index)) {
                items.append(value)
            } else {
                valid = false
            }
        }
        guard valid else { return (nil, nil) }
        var names: [String] = []
        for item in items {
            guard case .object(let members) = item else { return (.items(items), nil) }
            for (name, _) in members where !names.contains(name) { names.append(name) }
        }
        return (.items(items), KnownFields(names: names, origin: "the inline items"))
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
