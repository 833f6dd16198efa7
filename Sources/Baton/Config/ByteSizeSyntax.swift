import Foundation

/// Sizes as written in pipeline files: a number of bytes, or a number and a unit (`512KiB`,
/// `10MiB`, `1MB`; units are case-insensitive, `KB`/`MB`/`GB` are powers of 1000, `KiB`/
/// `MiB`/`GiB` powers of 1024).
enum ByteSizeSyntax {
    private static let units: [(suffix: String, factor: Double)] = [
        ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024 * 1024 * 1024),
        ("kb", 1000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("b", 1),
    ]

    /// The number of bytes `text` stands for; nil if it is not a size (or not a whole, positive
    /// number of bytes below 2^53).
    static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, let value = Double(number) else { return nil }
        let unitText = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        let factor: Double
        if unitText.isEmpty {
            factor = 1
        } else if let unit = units.first(where: { $0.suffix == unitText }) {
            factor = unit.factor
        } else {
            return nil
        }
        let bytes = (value * factor).rounded()
        guard bytes >= 1, bytes < 9_007_199_254_740_992 else { return nil }
        return Int(bytes)
    }
}
