internal import CJQ

/// A compiled jq program (`jq_state`), run on one JSON input at a time.
///
/// Compile once, run many times. Not `Sendable`: a `jq_state` must not be used by two
/// threads at once, so give each worker thread its own program (compiling is cheap).
public final class JQProgram {
    /// The program's source text.
    public let source: String
    private var state: OpaquePointer?
    private let messages = MessageSink()
    /// Set once the watchdog halted the program: its state is not reused.
    public private(set) var wasHalted = false

    /// Compiles `source`. Compile errors are thrown as ``JQError`` with jq's message; nothing
    /// is printed to stderr.
    public init(_ source: String) throws {
        self.source = source
        guard let state = jq_init() else {
            throw JQError(kind: .compile, message: "jq_init failed (out of memory)")
        }
        self.state = state
        jq_set_error_cb(state, { context, message in
            guard let context else { jv_free(message); return }
            Unmanaged<MessageSink>.fromOpaque(context).takeUnretainedValue().append(JV.text(of: message))
        }, Unmanaged.passUnretained(messages).toOpaque())
        let compiled = source.withCString { jq_compile(state, $0) }
        if compiled == 0 {
            let text = messages.drain()
                .filter { !$0.hasSuffix("compile error") && !$0.hasSuffix("compile errors") }
                .map { $0.hasPrefix("jq: error: ") ? String($0.dropFirst("jq: error: ".count)) : $0 }
                .joined(separator: "; ")
            throw JQError(kind: .compile, message: text.isEmpty ? "the program does not compile" : text)
        }
    }

    deinit {
        jq_teardown(&state)
    }

    /// Runs the program on one JSON text and returns each output as compact JSON text.
    /// Zero outputs (`empty`, `select(false)`) give an empty array. With a `timeout`, a
    /// program still running after it is stopped (``JQWatchdog``) and throws.
    public func run(json input: String, timeout: Duration? = nil) throws -> [String] {
        var outputs: [String] = []
        try forEachOutput(json: input, timeout: timeout) { outputs.append($0) }
        return outputs
    }

    /// Runs the program on one JSON text and hands each output (compact JSON text) to `body`
    /// as it comes, so a program with many outputs never holds them all.
    public func forEachOutput(json input: String, timeout: Duration? = nil, _ body: (String) throws -> Void) throws {
        let value = try JV.parse(input)
        try run(value, timeout: timeout) { try body(JV.dump($0)) }
    }

    /// Runs the program on a JSON text and returns its outputs as values.
    public func values(json input: String, timeout: Duration? = nil) throws -> [JSON] {
        let value = try JV.parse(input)
        var outputs: [JSON] = []
        try run(value, timeout: timeout) { outputs.append(JV.json(of: $0)) }
        return outputs
    }

    /// Runs on `input` (consumed) and passes each output (borrowed; freed here) to `each`.
    private func run(_ input: jv, timeout: Duration?, _ each: (jv) throws -> Void) throws {
        guard !wasHalted, let state else { throw JQError(kind: .stopped, message: "the program was stopped earlier") }
        // Started first, then watched: jq_start clears the halt flag, so a halt must come after it.
        jq_start(state, input, 0)
        let watched = timeout.map { JQWatchdog.shared.register(state, timeout: $0) }
        defer {
            if let watched, JQWatchdog.shared.unregister(watched) != nil { wasHalted = true }
        }
        while true {
            let output = jq_next(state)
            if jv_is_valid(output) != 0 {
                let handling = ContinuousClock.now
                do {
                    try each(output)
                } catch {
                    jv_free(output)
                    throw error
                }
                jv_free(output)
                if let watched { JQWatchdog.shared.extend(watched, by: ContinuousClock.now - handling) }
                continue
            }
            if let watched, jq_halted(state) != 0 {
                jv_free(output)
                wasHalted = true
                switch JQWatchdog.shared.unregister(watched) {
                case .deadline(let limit)?:
                    throw JQError(kind: .timeout, message: "the program ran longer than \(JQError.describe(limit)) and was stopped")
                case .memory(let bytes)?:
                    throw JQError(kind: .memory, message: "the program was stopped: the process went over \(bytes >> 20) MiB of memory")
                default:
                    throw JQError(kind: .stopped, message: "the program was stopped (baton is shutting down)")
                }
            }
            // Invalid: either the end, or an error carrying a message.
            if jv_invalid_has_msg(jv_copy(output)) != 0 {
                let message = jv_invalid_get_msg(output)
                let text: String
                if jv_get_kind(message) == JV_KIND_STRING {
                    text = String(cString: jv_string_value(message))
                    jv_free(message)
                } else {
                    text = JV.dump(message) + " (not a string)"
                    jv_free(message)
                }
                // Drain so the state is ready for the next input.
                throw JQError(kind: .runtime, message: text)
            }
            jv_free(output)
            break
        }
    }
}

/// Collects jq's error-callback messages. Only touched from the thread running the program.
private final class MessageSink {
    private var messages: [String] = []
    func append(_ message: String) { messages.append(message) }
    func drain() -> [String] {
        defer { messages.removeAll() }
        return messages
    }
}
