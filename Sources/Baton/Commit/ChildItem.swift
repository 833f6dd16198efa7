/// An item a stage produced for the next one.
package struct ChildItem: Sendable, Hashable {
    package var key: String
    /// JSON text.
    package var payload: String
    package init(key: String, payload: String) {
        self.key = key
        self.payload = payload
    }
}
