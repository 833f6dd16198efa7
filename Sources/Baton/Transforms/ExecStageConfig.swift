/// The `exec:` block of a stage: a subprocess per item, fed the item's JSON on stdin; every
/// line it prints on stdout is one output item (JSON).
public struct ExecStageConfig: Sendable, Hashable {
    /// Program and arguments (no shell). A single string is run with `/bin/sh -c`.
    public var command: [String]
    public var timeout: Duration = .seconds(60)
    /// Extra environment variables (values may come from `${VAR}`; never printed).
    public var environment: [String: String] = [:]
    /// Exit codes that fail the item at once (default 65, bad data); others are retried.
    public var failOnExit: Set<Int32> = [65]

    public init(command: [String]) { self.command = command }
}
