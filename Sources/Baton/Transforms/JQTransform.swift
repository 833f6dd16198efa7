import BatonJQ

/// A `jq` stage: every output of the program becomes an item of the next stage; no output
/// means the item is skipped; a runtime error fails the item permanently with jq's message.
package struct JQTransform: InMemoryTransform {
    package let pool: JQProgramPool
    /// The program run without libjq when it only reshapes an object (``JQReshape``).
    package let reshape: JQReshape?

    package init(program: String) throws {
        pool = try JQProgramPool(program)
        reshape = JQReshape(program: program)
    }

    package func process(_ item: StageInput) async throws -> StageOutput {
        if let output = reshape?.apply(item.payload) { return .outputs([output]) }
        do {
            return .outputs(try pool.withProgram { try $0.run(json: item.payload, timeout: item.timeout ?? pool.timeout) })
        } catch let error as JQError {
            throw JQTransform.stageError(error, item: item)
        }
    }

    /// Hands each output (JSON text) to `body` as the program produces it, so an item with
    /// millions of outputs is never held whole (the worker spills them, ``ChildSpill``).
    package func stream(_ item: StageInput, _ body: (String) throws -> Void) throws {
        if let output = reshape?.apply(item.payload) { return try body(output) }
        do {
            try pool.withProgram { try $0.forEachOutput(json: item.payload, timeout: item.timeout ?? pool.timeout, body) }
        } catch let error as JQError {
            throw JQTransform.stageError(error, item: item)
        }
    }

    /// A jq failure as the item's error: permanent (jq is deterministic), naming the stage,
    /// the item and the limit it hit; a program stopped for shutdown gives its item back.
    static func stageError(_ error: JQError, item: StageInput) -> any Error {
        switch error.kind {
        case .stopped: return CancellationError()
        case .timeout: return StageError.permanent("stage \(item.stage) item \(item.key): \(error)", class: "jq timeout")
        case .memory: return StageError.permanent("stage \(item.stage) item \(item.key): \(error)", class: "jq memory")
        default: return StageError.permanent(error.description, class: "jq")
        }
    }

    package var fingerprint: String { "jq:\(pool.source)" }
    package var kindName: String { "jq" }
    package var defaultBatchSize: Int { 200 }
    package var canRunFused: Bool { true }
}
