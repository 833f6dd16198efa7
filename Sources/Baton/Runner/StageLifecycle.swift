package import Logging

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
