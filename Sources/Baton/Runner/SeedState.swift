import Foundation

/// What the seeder keeps in a run's `seed_state` besides offset and line: the incremental
/// cursor the run reads from (fixed when it starts) and the reader's own state. JSON text;
/// nil when there is neither.
struct SeedState: Codable, Equatable {
    var cursor: String?
    var reader: String?

    init(cursor: String?, reader: String?) {
        self.cursor = cursor
        self.reader = reader
    }

    /// Decodes stored text (nil or unreadable: an empty state).
    init(text: String?) {
        guard let text, let decoded = try? JSONDecoder().decode(SeedState.self, from: Data(text.utf8)) else {
            self.init(cursor: nil, reader: nil)
            return
        }
        self = decoded
    }

    var text: String? {
        guard cursor != nil || reader != nil else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) }
    }
}
