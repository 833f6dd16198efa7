import Yams

/// `sql: STATEMENT` (with `outputs:`): write items inside their commit transaction.
enum SQLStageKind: StageKind {
    static let key = "sql"
    static let ownKeys = ["outputs"]
    static let example = "`sql: insert …` to write them"

    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind? {
        let path = stage.path(key)
        var outputs = SQLTransform.Outputs.input
        if let outputsNode = stage["outputs"] {
            outputs = decoder.choice(outputsNode, stage.path("outputs"), SQLTransform.Outputs.self) ?? .input
        }
        guard let statement = decoder.nonEmptyText(entry.value, path, what: "a SQL statement") else { return nil }
        let template = SQLTemplate(statement)
        if outputs == .returning, !template.hasKeyword("returning"), let outputsNode = stage["outputs"] {
            decoder.report(outputsNode, stage.path("outputs"), "`outputs: returning` needs a RETURNING clause in the statement",
                           hint: "add `returning …` to the statement, or use `outputs: input`")
        }
        // Returned even when `outputs` is wrong: its parameters are still checked (the stage
        // is not built, since an error was reported).
        let emits: EmittedFields = outputs == .input ? .input : .unknown
        var transform = SQLTransform(statement: statement, outputs: outputs)
        transform.location = decoder.valueLocation(entry.value, path, value: statement)
        return DecodedStageKind(transform: transform, emits: emits,
                                parameterizedSQL: (statement, entry.value))
    }
}
