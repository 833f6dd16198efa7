import BatonJQ

/// A test file (`orders.test.yaml`): the pipeline it tests and its cases.
package struct PipelineTestSuite: Sendable {
    /// The test file.
    package var file: String
    package var pipeline: Pipeline
    /// SQL run before every case, in the case's transaction.
    package var setup: [String]
    package var cases: [PipelineTestCase]
}
