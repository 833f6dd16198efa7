/// The static check of SQL named parameters against the fields that reach a sql stage.
extension PipelineDecoder {
    /// Reports each `:name` of a sql stage that no field of its incoming items can supply,
    /// when those fields are known (see ``knownFields(before:stages:source:)``).
    func checkSQLParameters(stages: [StageDraft], source: SourceDraft?) {
        for (index, draft) in stages.enumerated() {
            guard let (statement, node) = draft.decoded?.parameterizedSQL,
                  let known = knownFields(before: index, stages: stages, source: source) else { continue }
            var reported: Set<String> = []
            for parameter in SQLTemplate(statement).parameters {
                let field = parameter.split(separator: ".").first.map(String.init) ?? parameter
                guard !PipelineKeys.sqlBuiltins.contains(field), !known.names.contains(field), reported.insert(field).inserted else { continue }
                let available = known.names.isEmpty ? "no fields" : "the fields \(known.names.joined(separator: ", "))"
                let suggestion = KeySuggester.suggestion(for: field, among: known.names).map { "did you mean `:\($0)`? " } ?? ""
                report(node, FieldPath.child(draft.path, "sql"), "no field `\(field)` for the parameter `:\(parameter)`",
                       hint: "\(suggestion)items reaching this stage have \(available) (from \(known.origin)); built-ins: :_key, :_run, :_run_id, :_stage, :_payload")
            }
        }
    }

    /// The fields of the items entering stage `index`: the source's for the first stage (a CSV
    /// header, inline items), the object keys of a previous jq stage ending in `{…}`, or — through
    /// a sql stage passing its input on — those entering that stage. Nil when unknown.
    func knownFields(before index: Int, stages: [StageDraft], source: SourceDraft?) -> KnownFields? {
        guard index > 0 else { return source?.fields }
        let previous = stages[index - 1]
        switch previous.decoded?.emits ?? .unknown {
        case .fields(let names):
            let stageName = previous.name.map { "stage `\($0)`" } ?? "the previous stage"
            return KnownFields(names: names, origin: "the object built by \(stageName), line \(line(of: previous.node))")
        case .input:
            return knownFields(before: index - 1, stages: stages, source: source)
        case .unknown:
            return nil
        }
    }
}
