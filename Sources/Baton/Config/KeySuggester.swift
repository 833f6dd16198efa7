/// Finds the key someone probably meant when they wrote an unknown one.
package enum KeySuggester {
    /// The closest of `candidates` to `key`: within edit distance 2 (1 for keys of up to three
    /// characters), or one a prefix of the other; nil if none is close.
    package static func suggestion(for key: String, among candidates: [String]) -> String? {
        let lowered = key.lowercased()
        let limit = lowered.count <= 3 ? 1 : 2
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            let isPrefix = lowered.count >= 3 && (candidate.hasPrefix(lowered) || lowered.hasPrefix(candidate))
            guard distance <= limit || isPrefix else { continue }
            if best == nil || distance < best?.distance ?? Int.max {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Levenshtein distance, counting an adjacent transposition as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }
}
