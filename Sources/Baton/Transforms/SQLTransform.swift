import BatonJQ

/// A `sql` stage: a statement with named parameters bound from the item, run inside the
/// item's commit transaction, so its write is exactly-once with the item's completion.
package struct SQLTransform: InMemoryTransform {
    /// What the stage passes on to the next stage.
    package typealias Outputs = SQLOutputs

    package let template: SQLTemplate
    package let outputs: Outputs
    /// The statement as written.
    package let statement: String
    /// Where the statement is in the pipeline file (for errors the server reports at a
    /// position in it); nil for pipelines built in Swift.
    package var location: ValueLocation?

    /// The parameters that are one top-level field (`:id`, not `:customer.id` or `:_key`),
    /// read together in one scan of each payload; their positions in the template's list.
    private let topLevelFields: [Substring]
    private let topLevelFieldIndex: [Int: Int]

    package init(statement: String, outputs: Outputs = .input) {
        self.statement = statement
        self.template = SQLTemplate(statement)
        self.outputs = outputs
        var fields: [Substring] = []
        var index: [Int: Int] = [:]
        for (position, name) in template.parameters.enumerated() where !name.hasPrefix("_") && !name.contains(".") {
            index[position] = fields.count
            fields.append(Substring(name))
        }
        topLevelFields = fields
        topLevelFieldIndex = index
    }

    /// The text actually run: with `outputs: returning`, wrapped so each returned row comes
    /// back as one JSON object.
    package var effectiveSQL: String {
        guard outputs == .returning else { return template.sql }
        return "\(SQLTransform.returningPrefix)\(template.sql)) SELECT to_jsonb(baton_returning)::text FROM baton_returning"
    }

    static let returningPrefix = "WITH baton_returning AS ("

    package func process(_ item: StageInput) async throws -> StageOutput {
        var values: [String?] = []
        values.reserveCapacity(template.parameters.count)
        var parsed: JSON?
        // Every top-level field parameter read in one scan of the payload.
        let scanned = topLevelFields.isEmpty ? nil : JSONScan.members(topLevelFields, in: item.payload, exact: true)
        for (index, name) in template.parameters.enumerated() {
            if let scanned, let field = topLevelFieldIndex[index], let value = SQLTransform.parameter(scanned[field]) {
                values.append(value)
                continue
            }
            if topLevelFieldIndex[index] == nil, let value = SQLTransform.scannedValue(of: name, in: item) {
                values.append(value)
                continue
            }
            if let own = SQLTransform.builtin(name, of: item) {
                values.append(own)
                continue
            }
            if parsed == nil { parsed = try item.json() }
            values.append(try SQLTransform.value(of: name, in: parsed!, item: item))
        }
        let effect = SQLEffect(sql: effectiveSQL, parameters: values)
        switch outputs {
        case .input: return StageOutput(outputs: [OutputItem(payload: item.payload)], effects: [effect])
        case .returning: return StageOutput(effects: [effect], outputsFromEffects: true)
        case .none: return StageOutput(effects: [effect])
        }
    }

    /// A scanned member as a parameter's text (`.some(nil)`: NULL); nil when the scan cannot
    /// tell (missing fields fail the item with the slow path's message).
    private static func parameter(_ member: JSONScan.Member) -> String?? {
        switch member.lookup {
        case .text(let text): return .some(text)
        case .null: return .some(nil)
        case .missing, .unknown: return nil
        }
    }

    /// A field parameter read straight from strict JSON text (``JSONScan``), without building
    /// the payload's values; nil when the scan cannot tell (then ``value(of:in:item:)`` decides,
    /// errors included).
    private static func scannedValue(of name: String, in item: StageInput) -> String?? {
        guard !name.hasPrefix("_") else { return nil }
        switch JSONScan.lookup(name.split(separator: ".", omittingEmptySubsequences: false), in: item.payload, exact: true) {
        case .text(let text): return .some(text)
        case .null: return .some(nil)
        case .missing, .unknown: return nil
        }
    }

    /// The item's own values: `_key`, `_run`, `_run_id`, `_stage`, and `_payload`, the
    /// payload's text as stored (numbers keep their digits; once it was re-encoded, and a
    /// 64-bit id lost its last ones). Nil for any other name.
    static func builtin(_ name: String, of item: StageInput) -> String? {
        switch name {
        case "_key": return item.key
        case "_run": return item.runName
        case "_run_id": return String(item.runID)
        case "_stage": return item.stage
        case "_payload": return item.payload
        default: return nil
        }
    }

    /// The text bound for a parameter: the item's own (``builtin(_:of:)``), else a field path
    /// in the payload. A missing field fails the item.
    static func value(of name: String, in payload: JSON, item: StageInput) throws -> String? {
        if let own = builtin(name, of: item) { return own }
        var current = payload
        for field in name.split(separator: ".") {
            guard case .object = current, let member = current[String(field)] else {
                throw StageError.permanent("parameter :\(name) has no value: the item has no field \(name)", class: "data")
            }
            current = member
        }
        return current.plainText
    }

    package var fingerprint: String { "sql:\(outputs.rawValue):\(statement)" }
    package var kindName: String { "sql" }
    package var writesResultsWhenLast: Bool { false }
    package var defaultBatchSize: Int { 200 }
    package var canRunFused: Bool { outputs != .returning }
}
