/// An error from compiling or running a jq program, or from parsing JSON.
public struct JQError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate let raw: String
        /// The program does not compile; `message` is jq's own text.
        public static let compile = Kind(raw: "compile")
        /// The program failed on an input (e.g. `Cannot index number with "a"`).
        public static let runtime = Kind(raw: "runtime")
        /// The input is not valid JSON.
        public static let invalidJSON = Kind(raw: "invalidJSON")
        public var description: String { raw }
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        switch kind {
        case .compile: return "jq compile error: \(message)"
        case .runtime: return "jq error: \(message)"
        default: return "invalid JSON: \(message)"
        }
    }
}
