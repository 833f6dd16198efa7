/// A plain text table: numeric columns right-aligned, text columns left-aligned.
///
/// With a width limit, optional columns are left out (highest ``Column/priority`` first)
/// until the table fits; when even the required ones do not, each row is printed as a
/// block of `column: value` lines instead.
struct Table {
    struct Column {
        var title: String
        /// 0: always shown; otherwise left out before columns of lower priority.
        var priority = 0
        /// Shown only when some row has a value other than 0 or -.
        var onlyWhenUsed = false

        init(_ title: String, priority: Int = 0, onlyWhenUsed: Bool = false) {
            self.title = title
            self.priority = priority
            self.onlyWhenUsed = onlyWhenUsed
        }
    }

    let columns: [Column]
    let body: [[String]]

    /// `rows[0]` is the header; every column is required.
    init(rows: [[String]]) {
        columns = (rows.first ?? []).map { Column($0) }
        body = Array(rows.dropFirst())
    }

    init(columns: [Column], rows: [[String]]) {
        self.columns = columns
        body = rows
    }

    /// The table; `hidden` is set to true when columns were left out to fit `width`.
    func render(width: Int? = nil, hidden: UnsafeMutablePointer<Bool>? = nil) -> String {
        guard !columns.isEmpty else { return "" }
        var visible = columns.indices.filter { index in
            !columns[index].onlyWhenUsed || body.contains { index < $0.count && $0[index] != "0" && $0[index] != "-" && !$0[index].isEmpty }
        }
        let cellWidths = columns.indices.map { index in
            max(columns[index].title.count, body.map { index < $0.count ? $0[index].count : 0 }.max() ?? 0)
        }
        func total(_ shown: [Int]) -> Int { shown.map { cellWidths[$0] }.reduce(0, +) + 2 * max(0, shown.count - 1) }
        if let width, total(visible) > width {
            // The required columns, then each optional one (lowest priority first) that still fits.
            var shown = visible.filter { columns[$0].priority == 0 }
            for index in visible.filter({ columns[$0].priority > 0 }).sorted(by: { columns[$0].priority < columns[$1].priority })
            where total((shown + [index]).sorted()) <= width {
                shown = (shown + [index]).sorted()
            }
            hidden?.pointee = shown.count < visible.count
            visible = shown
            if total(visible) > width { return records(visible) }
        }
        let rows = [visible.map { columns[$0].title }] + body.map { row in visible.map { $0 < row.count ? row[$0] : "" } }
        return Table.align(rows)
    }

    /// One block per row: the first cell, then `title: value` for the others.
    private func records(_ visible: [Int]) -> String {
        var out = ""
        for row in body {
            out += (row.first ?? "") + "\n"
            for index in visible.dropFirst() where index < row.count {
                out += "  \(columns[index].title): \(row[index])\n"
            }
        }
        return out
    }

    private static func align(_ rows: [[String]]) -> String {
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
