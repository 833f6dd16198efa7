internal import CZlib

/// A checksum of a byte stream for telling whether a file changed: zlib's CRC-32 and Adler-32
/// together (64 bits, computed by zlib's optimised C code). Not a cryptographic hash.
public struct ContentChecksum: Sendable, Hashable {
    private var crc: UInt = 0
    private var adler: UInt = 1

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return }
        var start = base
        var left = bytes.count
        while left > 0 {
            let count = min(left, Int(UInt32.max / 2))
            crc = UInt(crc32(crc, start, UInt32(count)))
            adler = UInt(adler32(adler, start, UInt32(count)))
            start += count
            left -= count
        }
    }

    /// 16 hex digits: CRC-32, then Adler-32.
    public var hex: String {
        func hex8(_ value: UInt) -> String {
            let digits = String(value & 0xFFFF_FFFF, radix: 16)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }
        return hex8(crc) + hex8(adler)
    }
}
