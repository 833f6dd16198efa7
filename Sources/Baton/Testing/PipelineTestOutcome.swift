/// What one case gave: passed when there are no problems.
package struct PipelineTestOutcome: Sendable {
    package struct Problem: Sendable {
        package var message: String
        /// Lines of a diff (expected `-`, actual `+`), or of the actual value.
        package var detail: [String] = []
    }

    package var testCase: PipelineTestCase
    package var problems: [Problem]
    package var passed: Bool { problems.isEmpty }
}
