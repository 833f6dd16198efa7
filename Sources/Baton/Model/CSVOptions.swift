/// How a CSV source reads its file.
public struct CSVOptions: Sendable, Hashable {
    /// The JSON type a column's text becomes.
    public enum ColumnType: String, Sendable, Hashable, CaseIterable {
        /// Text as is.
        case string
        /// A whole number; an empty field is `null`.
        case integer
        /// Any number; an empty field is `null`.
        case number
        /// `true` or `false`; an empty field is `null`.
        case boolean
        /// The field holds JSON; an empty field is `null`.
        case json
    }

    /// The field separator (default `,`).
    public var delimiter: Character
    /// Types of columns by header name; others are strings.
    public var types: [String: ColumnType]

    /// CSV settings.
    public init(delimiter: Character = ",", types: [String: ColumnType] = [:]) {
        self.delimiter = delimiter
        self.types = types
    }
}
