import BatonJQ

/// Items listed in the pipeline file itself.
final class InlineItemsReader: SourceReader {
    private let items: [JSON]
    private(set) var position: Int64 = 0
    var line: Int64 { position }

    init(items: [JSON]) { self.items = items }

    func resume(position: Int64, line: Int64) throws { self.position = min(position, Int64(items.count)) }

    func next() throws -> SourceRecord? {
        guard position < Int64(items.count) else { return nil }
        let item = items[Int(position)]
        position += 1
        return SourceRecord(line: position, payload: item.serialized)
    }
}
