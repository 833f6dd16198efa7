import BatonJQ
import Foundation

/// What a stage does to one item: 0…n output items, SQL effects to apply in the item's
/// commit transaction, or a thrown ``StageError``.
///
/// Implementations are `Sendable` and called concurrently from many tasks (up to the
/// stage's `concurrency`), on Swift's cooperative thread pool: CPU work is fine, blocking
/// calls (file or socket I/O without `async`, `sleep`) belong on a thread of your own.
///
/// ```swift
/// struct Score: StageTransform {
///     func process(_ item: StageInput) async throws -> StageOutput {
///         var order = try item.decode(Order.self)
///         guard order.total >= 0 else { throw StageError.permanent("negative total", class: "validation") }
///         order.score = order.total > 100 ? 2 : 1
///         return try .items([order])
///     }
/// }
/// ```
///
/// A transform may run more than once for one item (a retry, a crash before the commit):
/// make side effects outside Postgres idempotent, or put them in ``StageOutput/effects``.
public protocol StageTransform: Sendable {
    /// Transforms one item.
    func process(_ item: StageInput) async throws -> StageOutput

    /// Identifies the transform's definition: goes into the stage's hash, which every item
    /// records (`baton status` counts items done by an older version). Default: the type's name.
    var fingerprint: String { get }
    /// Kind name shown in status output (`jq`, `sql`, `http`, `exec`, `swift`). Default `swift`.
    var kindName: String { get }
    /// Whether the stage's outputs go to `baton.results` when it is the last stage. Default true.
    var writesResultsWhenLast: Bool { get }
    /// The stage's `concurrency` when the pipeline does not set one. Default 1.
    var defaultConcurrency: Int { get }
    /// The stage's `batch_size` when the pipeline does not set one. Default 100.
    var defaultBatchSize: Int { get }
}

/// A transform that computes in this process, quickly, without waiting on anything (jq,
/// sql parameters): a worker runs a batch of it item after item, with no task per item, and
/// the stage may be fused into the commit of the stage before it (``Stage/runsInline``).
package protocol InMemoryTransform: StageTransform {
    /// Whether its outputs are known before the commit (a sql stage returning rows learns
    /// them only from its effects, in the commit: it keeps its queue).
    var canRunFused: Bool { get }
}

/// A transform that does a whole batch at once (http): one call per batch, its own cap of
/// `concurrency` items at once across the process, instead of a task and a permit per item.
package protocol BatchTransform: StageTransform {
    /// Whether the batch call applies to this stage's configuration (else item by item).
    var processesBatches: Bool { get }
    /// Each item's output or error, in the items' order. A ``CancellationError`` gives the
    /// item back untouched. `stopping` says whether the process is stopping: work not started
    /// by then is not started (its items fail with ``StageError/notStarted`` and go back).
    func process(batch items: [StageInput], concurrency: Int, stopping: @escaping @Sendable () -> Bool) async -> [Result<StageOutput, any Error>]
}

extension StageTransform {
    /// The type's name.
    public var fingerprint: String { String(describing: type(of: self)) }
    /// `swift`.
    public var kindName: String { "swift" }
    /// True.
    public var writesResultsWhenLast: Bool { true }
    /// 1.
    public var defaultConcurrency: Int { 1 }
    /// 100.
    public var defaultBatchSize: Int { 100 }
}
