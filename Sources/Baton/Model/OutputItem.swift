import BatonJQ
public import Foundation

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
