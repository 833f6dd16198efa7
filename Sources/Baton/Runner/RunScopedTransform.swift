package import Logging

/// A transform holding resources across items (the children of a stream `exec` stage): told
/// when a run starts using it and when the run is done with it, so it can start lazily and
/// stop what it started. Calls pair up; runs of one pipeline may overlap in one process.
package protocol RunScopedTransform: StageTransform {
    func runWillStart(logger: Logger)
    func runDidFinish() async
}

/// Brackets work on a pipeline's stages with ``RunScopedTransform`` calls.
package enum StageLifecycle {
    /// Runs `body` between `runWillStart` and `runDidFinish` of every run-scoped stage; the
    /// finish calls happen also when `body` throws.
    package static func around<T>(_ stages: [Stage], logger: Logger, _ body: () async throws -> T) async throws -> T {
        let scoped = stages.compactMap { stage -> (any RunScopedTransform)? in stage.transform as? any RunScopedTransform }
        for transform in scoped { transform.runWillStart(logger: logger) }
        do {
            let value = try await body()
            for transform in scoped { await transform.runDidFinish() }
            return value
        } catch {
            for transform in scoped { await transform.runDidFinish() }
            throw error
        }
    }
}
