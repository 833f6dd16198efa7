public import BatonJQ

/// What a stage does to one item: 0…n output items, SQL effects to apply in the item's
/// commit transaction, or a thrown ``StageError``.
///
/// Implementations are `Sendable` and called concurrently from many tasks (up to the
/// stage's `concurrency`). Blocking work must not run here (use a dedicated thread); CPU
/// work (jq) is fine.
public protocol StageTransform: Sendable {
    func process(_ item: StageInput) async throws -> StageOutput

    /// Identifies the transform's definition (for stage hashes).
    var fingerprint: String { get }
    /// Kind name shown in status output (`jq`, `sql`, `http`, `exec`, `swift`).
    var kindName: String { get }
    /// Whether the stage's outputs go to `baton.results` when it is the last stage.
    var writesResultsWhenLast: Bool { get }
    var defaultConcurrency: Int { get }
    var defaultBatchSize: Int { get }
}

extension StageTransform {
    public var fingerprint: String { String(describing: type(of: self)) }
    public var kindName: String { "swift" }
    public var writesResultsWhenLast: Bool { true }
    public var defaultConcurrency: Int { 1 }
    public var defaultBatchSize: Int { 100 }
}

/// One item handed to a transform.
public struct StageInput: Sendable {
    public var itemID: Int64
    public var key: String
    /// The item's JSON, as text.
    public var payload: String
    /// 1 on the first attempt.
    public var attempt: Int
    public var maxAttempts: Int
    public var runID: Int64
    public var runName: String
    public var stage: String
    /// The stage's `timeout:`, when set: how long this item may take.
    public var timeout: Duration?

    public init(itemID: Int64, key: String, payload: String, attempt: Int, maxAttempts: Int, runID: Int64, runName: String, stage: String,
                timeout: Duration? = nil) {
        self.itemID = itemID
        self.key = key
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.runID = runID
        self.runName = runName
        self.stage = stage
        self.timeout = timeout
    }

    /// The payload parsed.
    public func json() throws -> JSON {
        do {
            return try JSON(parsing: payload)
        } catch {
            throw StageError.permanent("payload is not valid JSON: \(error)", class: "data")
        }
    }
}

/// What a transform produced for one item.
public struct StageOutput: Sendable {
    /// Items for the next stage (or `baton.results` after the last stage). Empty: the item is
    /// `skipped` (filtered out) unless it has effects.
    public var outputs: [OutputItem]
    /// Statements run in the item's commit transaction, in order.
    public var effects: [SQLEffect]
    /// When the outputs come from the effects' `RETURNING` rows instead of `outputs`.
    public var outputsFromEffects: Bool

    public init(outputs: [OutputItem] = [], effects: [SQLEffect] = [], outputsFromEffects: Bool = false) {
        self.outputs = outputs
        self.effects = effects
        self.outputsFromEffects = outputsFromEffects
    }

    /// Outputs from JSON texts, keys derived by the engine.
    public static func outputs(_ payloads: [String]) -> StageOutput {
        StageOutput(outputs: payloads.map { OutputItem(payload: $0) })
    }

    /// True when nothing was produced: the item is recorded as `skipped`.
    public var isSkip: Bool { outputs.isEmpty && effects.isEmpty }
}

/// An item produced by a stage.
public struct OutputItem: Sendable, Hashable {
    /// JSON text.
    public var payload: String
    /// The item's key; nil: derived (the next stage's `key:` expression, or parent key/position).
    public var key: String?
    public init(payload: String, key: String? = nil) {
        self.payload = payload
        self.key = key
    }
}

/// A SQL statement with positional parameters (`$1…`) bound from an item, run inside the
/// item's commit transaction.
public struct SQLEffect: Sendable, Hashable {
    public var sql: String
    /// Text values (nil = NULL); the server infers their types from the statement.
    public var parameters: [String?]
    public init(sql: String, parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// A transform's failure, classified.
public struct StageError: Error, Sendable, CustomStringConvertible {
    /// Permanent errors fail the item at once; transient ones are retried with backoff.
    public var isPermanent: Bool
    /// A short class for grouping (`http 404`, `jq`, `sqlstate 23505`, `timeout`…).
    public var errorClass: String
    public var message: String
    /// Earliest next attempt requested by the remote side (`Retry-After`).
    public var retryAfter: Duration?
    /// The stage cannot go on (e.g. its failure budget is used up): the item is given back
    /// untouched, and the process stops with this message (exit 69).
    public var haltsRun = false

    public init(isPermanent: Bool, errorClass: String, message: String, retryAfter: Duration? = nil) {
        self.isPermanent = isPermanent
        self.errorClass = errorClass
        self.message = message
        self.retryAfter = retryAfter
    }

    public static func permanent(_ message: String, class errorClass: String) -> StageError {
        StageError(isPermanent: true, errorClass: errorClass, message: message)
    }

    public static func transient(_ message: String, class errorClass: String, retryAfter: Duration? = nil) -> StageError {
        StageError(isPermanent: false, errorClass: errorClass, message: message, retryAfter: retryAfter)
    }

    public var description: String { message }
}
