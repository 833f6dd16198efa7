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
    /// Zero outputs (`empty`, `select(false)`) give an empty array.
    public func run(json input: String) throws -> [String] {
        let value = try JV.parse(input)
        return try run(value) { JV.dump($0) }
    }

    /// Runs the program on a ``JSON`` value and returns its outputs as values.
    public func run(_ input: JSON) throws -> [JSON] {
        try run(JV.make(input)) { JV.json(of: $0) }
    }

    /// Runs the program on a JSON text and returns its outputs as values.
    public func values(json input: String) throws -> [JSON] {
        let value = try JV.parse(input)
        return try run(value) { JV.json(of: $0) }
    }

    /// Runs on `input` (consumed) and maps each output (borrowed; freed here).
    private func run<T>(_ input: jv, _ transform: (jv) -> T) throws -> [T] {
        jq_start(state, input, 0)
        var outputs: [T] = []
        while true {
            let output = jq_next(state)
            if jv_is_valid(output) != 0 {
                outputs.append(transform(output))
                jv_free(output)
                continue
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
        return outputs
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
