package import BatonJQ
public import Foundation

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
