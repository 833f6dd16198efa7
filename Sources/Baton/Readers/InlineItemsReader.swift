import BatonJQ

/// Items listed in the pipeline file itself.
final class InlineItemsReader: SourceReader {
    private let items: [JSON]
    private var index: Int64 = 0
    var position: SourcePosition { SourcePosition(offset: index, line: index) }

    init(items: [JSON]) { self.items = items }

    func resume(at position: SourcePosition) throws { index = min(max(0, position.offset), Int64(items.count)) }

    func next() throws -> SourceRecord? {
        guard index < Int64(items.count) else { return nil }
        let item = items[Int(index)]
        index += 1
        return SourceRecord(line: index, payload: item.serialized)
    }
}
