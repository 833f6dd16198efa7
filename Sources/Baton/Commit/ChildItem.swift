/// An item a stage produced for the next one.
package struct ChildItem: Sendable, Hashable {
    package var key: String
    /// JSON text.
    package var payload: String
    /// The key was chosen by the transform (an output's own key), not derived from the parent:
    /// it may repeat across batches, so only the queue (`ON CONFLICT`) deduplicates it and
    /// the child is never run fused.
    package var chosenKey = false
    package init(key: String, payload: String, chosenKey: Bool = false) {
        self.key = key
        self.payload = payload
        self.chosenKey = chosenKey
    }
}
