import BatonJQ

/// A `jq` stage: every output of the program becomes an item of the next stage; no output
/// means the item is skipped; a runtime error fails the item permanently with jq's message.
package struct JQTransform: StageTransform {
    package let pool: JQProgramPool

    package init(program: String) throws {
        pool = try JQProgramPool(program)
    }

    package func process(_ item: StageInput) async throws -> StageOutput {
        do {
            return .outputs(try pool.run(json: item.payload))
        } catch let error as JQError {
            throw StageError.permanent(error.description, class: "jq")
        }
    }

    package var fingerprint: String { "jq:\(pool.source)" }
    package var kindName: String { "jq" }
    package var defaultBatchSize: Int { 200 }
}
