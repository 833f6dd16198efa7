package import BatonJQ
public import Foundation

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

/// One item handed to a transform.
public struct StageInput: Sendable {
    /// The item's row id in `baton.items`.
    public var itemID: Int64
    /// The item's key (`baton explain RUN KEY`).
    public var key: String
    /// The item's JSON, as text.
    public var payload: String
    /// 1 on the first attempt.
    public var attempt: Int
    /// Attempts in all (the stage's `retry.max_attempts`).
    public var maxAttempts: Int
    /// The run's id.
    public var runID: Int64
    /// The run's name.
    public var runName: String
    /// The stage's name.
    public var stage: String
    /// The stage's `timeout:`, when set: how long this item may take.
    public var timeout: Duration?

    /// An item (for calling a transform yourself, e.g. in a unit test); `timeout` is the
    /// stage's `timeout:`.
    public init(itemID: Int64 = 0, key: String, payload: String, attempt: Int = 1, maxAttempts: Int = 1, runID: Int64 = 0,
                runName: String = "", stage: String, timeout: Duration? = nil) {
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

    /// The payload decoded as `type`; a payload that does not fit fails the item for good
    /// (class `data`), naming the item.
    public func decode<T: Decodable>(_ type: T.Type, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(type, from: Data(payload.utf8))
        } catch {
            throw StageError.permanent("\(stage) \(key): the item is not a \(type): \(error)", class: "data")
        }
    }

    /// The payload parsed.
    package func json() throws -> JSON {
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
    /// Statements run in the item's commit transaction, in order: exactly once with the
    /// item's completion.
    public var effects: [SQLEffect]
    /// When the outputs come from the effects' `RETURNING` rows instead of `outputs`.
    public var outputsFromEffects: Bool

    /// Outputs and effects.
    public init(outputs: [OutputItem] = [], effects: [SQLEffect] = [], outputsFromEffects: Bool = false) {
        self.outputs = outputs
        self.effects = effects
        self.outputsFromEffects = outputsFromEffects
    }

    /// Outputs from JSON texts, keys derived by the engine.
    public static func outputs(_ payloads: [String]) -> StageOutput {
        StageOutput(outputs: payloads.map { OutputItem(payload: $0) })
    }

    /// Outputs encoded as JSON, keys derived by the engine.
    public static func items<T: Encodable>(_ values: [T], encoder: JSONEncoder = JSONEncoder()) throws -> StageOutput {
        StageOutput(outputs: try values.map { try OutputItem(encoding: $0, encoder: encoder) })
    }

    /// Nothing: the item is recorded as `skipped`.
    public static var skip: StageOutput { StageOutput() }

    /// True when nothing was produced: the item is recorded as `skipped`.
    public var isSkip: Bool { outputs.isEmpty && effects.isEmpty }
}

/// An item produced by a stage.
public struct OutputItem: Sendable, Hashable {
    /// JSON text.
    public var payload: String
    /// The item's key; nil: derived (the next stage's `key:` expression, or parent key/position).
    public var key: String?

    /// An output from JSON text.
    public init(payload: String, key: String? = nil) {
        self.payload = payload
        self.key = key
    }

    /// An output encoded as JSON.
    public init<T: Encodable>(encoding value: T, key: String? = nil, encoder: JSONEncoder = JSONEncoder()) throws {
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw StageError.permanent("cannot encode the output as JSON: \(error)", class: "data")
        }
        self.init(payload: String(decoding: data, as: UTF8.self), key: key)
    }
}

/// A SQL statement with positional parameters (`$1…`), run inside the item's commit
/// transaction.
public struct SQLEffect: Sendable, Hashable {
    /// The statement.
    public var sql: String
    /// Text values (nil = NULL); the server infers their types from the statement (cast when
    /// needed: `$1::int`).
    public var parameters: [String?]

    /// A statement and its parameters.
    public init(sql: String, parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// A transform's failure, classified.
///
/// Throw ``permanent(_:class:)`` for failures another attempt cannot fix (bad data) and
/// ``transient(_:class:retryAfter:)`` for the others (a service down). Any other error a
/// transform throws counts as transient with class `error`.
public struct StageError: Error, Sendable, CustomStringConvertible {
    /// Permanent errors fail the item at once; transient ones are retried with backoff.
    public var isPermanent: Bool
    /// A short class for grouping (`http 404`, `jq`, `sqlstate 23505`, `timeout`…).
    public var errorClass: String
    /// What went wrong, for `baton failures` and `baton explain`.
    public var message: String
    /// Earliest next attempt requested by the remote side (`Retry-After`).
    public var retryAfter: Duration?
    /// The stage cannot go on (e.g. its failure budget is used up): the item is given back
    /// untouched, and the process stops with this message (exit 69).
    package var haltsRun = false

    /// A classified failure.
    public init(isPermanent: Bool, errorClass: String, message: String, retryAfter: Duration? = nil) {
        self.isPermanent = isPermanent
        self.errorClass = errorClass
        self.message = message
        self.retryAfter = retryAfter
    }

    /// A failure another attempt cannot fix: the item fails at once.
    public static func permanent(_ message: String, class errorClass: String) -> StageError {
        StageError(isPermanent: true, errorClass: errorClass, message: message)
    }

    /// A failure worth another attempt (after the stage's backoff, or `retryAfter` if later).
    public static func transient(_ message: String, class errorClass: String, retryAfter: Duration? = nil) -> StageError {
        StageError(isPermanent: false, errorClass: errorClass, message: message, retryAfter: retryAfter)
    }

    /// The message.
    public var description: String { message }
}
