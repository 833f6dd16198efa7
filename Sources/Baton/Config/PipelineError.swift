/// One problem in a pipeline file: where it is, which field, what is wrong and how to fix it.
///
/// ```
/// pipelines/orders.yaml:12:14: stages[1].http.timeout: expected a duration like 30s, found `30` (hint: write 30s)
/// ```
///
/// Messages never contain values that came from the environment (`${VAR}`): they quote the
/// reference as written.
public struct PipelineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pipeline file, as given to the loader.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars (as editors count characters).
    public var column: Int
    /// Path of the field in the file, e.g. `stages[1].http.url` (stage indexes are 0-based);
    /// empty when the problem is not about one field (a YAML syntax error).
    public var field: String
    /// What is wrong, written for the person who has to fix it.
    public var message: String
    /// How to fix it, when there is something more useful to say than the message.
    public var hint: String?

    /// An error at `file:line:column` about `field`.
    public init(file: String, line: Int, column: Int, field: String, message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.hint = hint
    }

    /// `FILE:LINE:COLUMN: FIELD: MESSAGE (hint: HINT)`; the field and hint parts only when present.
    public var description: String {
        var text = "\(file):\(line):\(column): "
        if !field.isEmpty { text += "\(field): " }
        text += message
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
