/// A registered Swift transform under its name: the name is part of its identity.
struct RegisteredSwiftTransform: StageTransform {
    let name: String
    let transform: any StageTransform

    func process(_ item: StageInput) async throws -> StageOutput { try await transform.process(item) }
    var fingerprint: String { "swift:\(name):\(transform.fingerprint)" }
    var kindName: String { transform.kindName }
    var writesResultsWhenLast: Bool { transform.writesResultsWhenLast }
    var defaultConcurrency: Int { transform.defaultConcurrency }
    var defaultBatchSize: Int { transform.defaultBatchSize }
}
