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
        /// The program ran past its deadline and was stopped.
        public static let timeout = Kind(raw: "timeout")
        /// The program was stopped because the process used too much memory.
        public static let memory = Kind(raw: "memory")
        /// The program was stopped because everything is stopping.
        public static let stopped = Kind(raw: "stopped")
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
        case .timeout, .memory, .stopped: return "jq: \(message)"
        default: return "invalid JSON: \(message)"
        }
    }

    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}
