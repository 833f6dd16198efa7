package import BatonJQ

/// One case: items fed to one stage, and what must come out.
package struct PipelineTestCase: Sendable {
    package struct Input: Sendable {
        package var key: String
        /// JSON text.
        package var payload: String
    }

    /// A response an http stage gets instead of calling the network.
    package struct RecordedResponse: Sendable {
        /// When set, the request must have this method / URL.
        package var method: String?
        package var url: String?
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]
        /// `file:line`.
        package var location: String
    }

    /// A jq program that must give `true`.
    package struct Predicate: Sendable {
        package var source: String
        package var program: JQProgramPool
    }

    /// The failure a case expects; nil fields match anything.
    package struct ExpectedError: Sendable {
        package var errorClass: String?
        package var permanent: Bool?
        /// Text the message must contain.
        package var message: String?
    }

    /// A query run after the stage, inside the case's transaction, and the rows it must give.
    package struct QueryCheck: Sendable {
        package var sql: String
        package var rows: [JSON]
        package var location: String
    }

    package struct Expectation: Sendable {
        /// Exactly these outputs, in order.
        package var outputs: [JSON]?
        package var count: Int?
        /// True for every output.
        package var each: [Predicate] = []
        /// True for the array of all outputs.
        package var all: [Predicate] = []
        package var error: ExpectedError?
        package var queries: [QueryCheck] = []
    }

    package var name: String
    /// `file:line` of the case.
    package var location: String
    package var stage: String
    package var inputs: [Input]
    package var setup: [String]
    package var responses: [RecordedResponse]?
    package var expectation: Expectation
}
