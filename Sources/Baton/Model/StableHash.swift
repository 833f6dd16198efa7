/// A stable, platform-independent 64-bit FNV-1a hash (Swift's `Hasher` is seeded per process
/// and must not be stored). Used for content keys and definition hashes.
package enum StableHash {
    package static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// 128 bits as 32 hex digits: two FNV-1a passes with different seeds, enough to make
    /// accidental collisions of content keys negligible.
    package static func hex(_ text: String) -> String {
        let a = fnv1a64(text)
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in text.utf8.reversed() {
            b ^= UInt64(byte)
            b = b &* 0x0000_0100_0000_01b3
        }
        return hex64(a) + hex64(b)
    }

    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
