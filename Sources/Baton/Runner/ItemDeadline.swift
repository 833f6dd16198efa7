/// A stage's `timeout:` around one item's transform: past it the transform is cancelled
/// (http requests are aborted, exec programs killed) and the item fails transiently, naming
/// the stage, the item and the limit. jq programs are stopped by their own watchdog instead.
enum ItemDeadline {
    static func run<T: Sendable>(
        _ timeout: Duration?, stage: String, key: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let timeout else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                throw StageError.transient("stage \(stage) item \(key): took longer than its timeout (\(timeout)) and was stopped",
                                           class: "timeout")
            }
            throw CancellationError()
        }
    }
}
