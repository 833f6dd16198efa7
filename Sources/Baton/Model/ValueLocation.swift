/// Where a text value of a pipeline file sits in the file, character by character: so an
/// error the server reports at a position inside a SQL statement can be shown at the
/// file's line and column.
package struct ValueLocation: Sendable, Hashable {
    package struct Position: Sendable, Hashable {
        package var line: Int
        package var column: Int
        package init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
    }

    package var file: String
    /// The field's path (`stages[2].sql`).
    package var field: String
    /// Where the value starts (its first character, or its indicator: `>`, `|`, a quote).
    package var start: Position
    /// The position of each Unicode scalar of the value; nil when it could not be worked
    /// out exactly (then every offset maps to ``start``).
    package var scalars: [Position]?

    package init(file: String, field: String, start: Position, scalars: [Position]?) {
        self.file = file
        self.field = field
        self.start = start
        self.scalars = scalars
    }

    /// The position of the value's scalar at `offset` (0-based); past the end, the last one.
    package func position(ofScalar offset: Int) -> Position {
        guard let scalars, !scalars.isEmpty else { return start }
        return scalars[min(max(0, offset), scalars.count - 1)]
    }
}
