/// A string compared and hashed by its UTF-8 bytes, as Postgres compares keys. Swift's
/// `String` equality is canonical equivalence: `é` precomposed (C3 A9) and `e` + combining
/// acute (65 CC 81) are one `String` but two keys in Postgres, and a `Set<String>` of keys
/// once made one of two such records vanish at seeding (exit 0, counted as a duplicate), and
/// one of two such results vanish at commit. Every set or dictionary of item keys (and of
/// other texts Postgres or a server tells apart, such as paths and URLs) uses this.
package struct ExactText: Hashable, Sendable {
    package let text: String

    package init(_ text: String) { self.text = text }

    package static func == (lhs: Self, rhs: Self) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }

    package func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
