/// The `exec:` block of a stage: a program fed items as JSON lines on stdin, answering with
/// JSON on stdout; one process per item (``Mode/once``) or long-lived children
/// (``Mode/stream``).
package struct ExecStageConfig: Sendable, Hashable {
    /// How the program is run.
    package enum Mode: String, Sendable, Hashable, CaseIterable {
        /// One process per item: the item on stdin, every stdout line an output, the exit code
        /// the outcome.
        case once
        /// Long-lived children: one item per line in, one answer line out per item, pipelined.
        case stream
    }

    /// Program and arguments (no shell). A single string is run with `/bin/sh -c`.
    package var command: [String]
    package var mode: Mode = .once
    /// Per item; in stream mode counted from the moment the item is the oldest unanswered one.
    package var timeout: Duration = .seconds(60)
    /// Extra environment variables (values may come from `${VAR}`; never printed).
    package var environment: [String: String] = [:]
    /// The program's working directory (absolute); nil: Baton's.
    package var workingDirectory: String?
    /// Exit codes that fail the item at once (default 65, bad data); others are retried.
    /// Once mode only.
    package var failOnExit: Set<Int32> = [65]
    /// Stream mode: extra time a new child has for its first answer (start-up, loading a
    /// model), on top of ``timeout``.
    package var startTimeout: Duration = .seconds(60)
    /// Stream mode: children per stage in one process.
    package var processes: Int = 1
    /// Stream mode: items written to a child ahead of its answers.
    package var window: Int = 64

    package init(command: [String]) { self.command = command }
}
