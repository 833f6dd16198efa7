/// Every problem found in a pipeline file, in file order (line, then column).
///
/// Thrown by ``PipelineLoader``: the loader does not stop at the first problem, so one run of
/// `baton validate` shows everything there is to fix.
public struct PipelineErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, sorted by line and column.
    public var errors: [PipelineError]

    /// Sorts `errors` by line and column; errors at the same position keep their order.
    public init(_ errors: [PipelineError]) {
        self.errors = errors.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    /// Errors in the order given (e.g. a pipeline file's, then a test file's).
    package init(inOrder errors: [PipelineError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
