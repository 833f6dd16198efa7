/// A plain text table: numeric columns right-aligned, text columns left-aligned.
struct Table {
    let rows: [[String]]

    func render() -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        let numeric = first.indices.map { column in
            rows.dropFirst().allSatisfy { row in
                column >= row.count || row[column] == "-" || Double(row[column].replacingOccurrences(of: ",", with: "")) != nil
            }
        }
        var out = ""
        for row in rows {
            let cells = row.enumerated().map { i, cell -> String in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return numeric[i] && i > 0 ? pad + cell : cell + pad
            }
            var line = cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
