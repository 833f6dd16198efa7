/// An error the CLI maps to an exit code (sysexits family): the one place where a failure's
/// category is decided.
public struct BatonError: Error, Sendable, CustomStringConvertible {
    public struct Category: Hashable, Sendable, CustomStringConvertible {
        public let exitCode: Int32
        let name: String
        /// Bad command-line usage (64).
        public static let usage = Category(exitCode: 64, name: "usage")
        /// Bad input data, e.g. a malformed source file (65).
        public static let data = Category(exitCode: 65, name: "data")
        /// Database or service unavailable (69).
        public static let unavailable = Category(exitCode: 69, name: "unavailable")
        /// Internal software error (70).
        public static let software = Category(exitCode: 70, name: "software")
        /// Temporary failure, safe to rerun (75).
        public static let temporary = Category(exitCode: 75, name: "temporary")
        /// Pipeline configuration error (78).
        public static let config = Category(exitCode: 78, name: "config")
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
