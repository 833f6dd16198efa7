import BatonJQ

extension Stage {
    /// A `jq` stage: every output of `program` is an item of the next stage; no output
    /// skips the item; a runtime error fails it for good. Throws ``BatonError`` (`config`)
    /// when the program does not compile.
    public static func jq(
        name: String, program: String, key: String? = nil, retry: RetryPolicy = RetryPolicy(), concurrency: Int? = nil,
        batchSize: Int? = nil
    ) throws -> Stage {
        let transform: JQTransform
        do {
            transform = try JQTransform(program: program)
        } catch {
            throw BatonError(.config, "stage \(name): the jq program does not compile: \(error)")
        }
        return Stage(name: name, transform: transform, key: key, retry: retry, concurrency: concurrency, batchSize: batchSize)
    }

    /// A `sql` stage: `statement`, with named parameters (`:id`, `:customer.email`, built-ins
    /// `:_key`, `:_run`, `:_run_id`, `:_stage`, `:_payload`) bound from each item, runs in the
    /// item's commit transaction: its write happens exactly once with the item's completion.
    /// Throws ``BatonError`` (`config`) for `outputs: .returning` without a RETURNING clause.
    public static func sql(
        name: String, statement: String, outputs: SQLOutputs = .input, key: String? = nil, retry: RetryPolicy = RetryPolicy(),
        concurrency: Int? = nil, batchSize: Int? = nil
    ) throws -> Stage {
        let transform = SQLTransform(statement: statement, outputs: outputs)
        if outputs == .returning && !transform.template.hasKeyword("returning") {
            throw BatonError(.config, "stage \(name): `outputs: returning` needs a RETURNING clause in the statement")
        }
        return Stage(name: name, transform: transform, key: key, retry: retry, concurrency: concurrency, batchSize: batchSize)
    }
}
