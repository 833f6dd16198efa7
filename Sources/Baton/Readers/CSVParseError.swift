struct CSVParseError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
