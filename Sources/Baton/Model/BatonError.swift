/// An error the CLI turns into an exit code: the engine decides a failure's category, the
/// CLI's exit-code table (`ExitCode` in BatonCLI) decides its number.
public struct BatonError: Error, Sendable, CustomStringConvertible {
    public struct Category: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// Bad command-line usage.
        public static let usage = Category(name: "usage")
        /// Bad input data, e.g. a malformed source file.
        public static let data = Category(name: "data")
        /// Database or service unavailable.
        public static let unavailable = Category(name: "unavailable")
        /// Internal software error.
        public static let software = Category(name: "software")
        /// Temporary failure, safe to rerun.
        public static let temporary = Category(name: "temporary")
        /// Pipeline configuration error.
        public static let config = Category(name: "config")
        public var description: String { name }
    }

    public var category: Category
    public var message: String

    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = message
    }

    public var description: String { message }
}
