package import BatonJQ
import Foundation
import Synchronization

/// Compiled copies of one jq program, lent to one task at a time.
///
/// A `jq_state` must not be used by two threads at once. The pool hands each caller a
/// program of its own for the duration of one call and takes it back afterwards, so as many
/// programs exist as calls run at once (about one per thread).
///
/// `@unchecked Sendable`: `idle` is only touched under `lock`, and a program taken out of
/// `idle` is used by exactly one caller until it is put back.
package final class JQProgramPool: @unchecked Sendable {
    package let source: String
    /// How long one run may take before the program is stopped (``JQWatchdog``).
    package let timeout: Duration
    private let lock = NSLock()
    private var idle: [JQProgram]
    /// Set when the program is only member names (`.id`): ``singleText(json:what:)`` then
    /// reads strict JSON without jq (``JSONScan``), and asks jq whenever the scan cannot tell.
    private let simplePath: [Substring]?

    /// The deadline of jq programs that do not set their own (keys, templates, jq stages).
    package static let defaultTimeout: Duration = .seconds(10)

    /// Compiles the program once now, so compile errors surface at load time; a program that
    /// is only member names and already compiled once in this process (when the pipeline was
    /// checked) is compiled when jq is first needed, if ever.
    package init(_ source: String, timeout: Duration = JQProgramPool.defaultTimeout) throws {
        self.source = source
        self.timeout = timeout
        simplePath = JSONScan.simplePath(ofProgram: source)
        idle = simplePath != nil && Self.hasCompiled(source) ? [] : [try Self.compile(source)]
    }

    /// Programs compiled in this process. A compile loads jq's builtins (about 20 ms here),
    /// and a pipeline's keys and templates were compiled three or four times each as the
    /// process started: 0.28 s of CPU before the first item.
    private static let compiled = Mutex<Set<String>>([])

    private static func hasCompiled(_ source: String) -> Bool { compiled.withLock { $0.contains(source) } }

    /// Compiles `source` and remembers that it compiles.
    private static func compile(_ source: String) throws -> JQProgram {
        let program = try JQProgram(source)
        compiled.withLock { _ = $0.insert(source) }
        return program
    }

    /// Compiles `source` unless it compiled before in this process; throws jq's error.
    package static func check(_ source: String) throws {
        if !hasCompiled(source) { _ = try compile(source) }
    }

    /// Runs `body` with a program no one else is using.
    package func withProgram<T>(_ body: (JQProgram) throws -> T) throws -> T {
        lock.lock()
        let program = idle.popLast()
        lock.unlock()
        let lent = try program ?? JQProgram(source)
        defer {
            // A halted program's state is not reused: a fresh one is compiled when needed.
            if !lent.wasHalted {
                lock.lock()
                idle.append(lent)
                lock.unlock()
            }
        }
        return try body(lent)
    }

    /// Outputs of the program on a JSON text, as JSON texts.
    package func run(json: String) throws -> [String] {
        try withProgram { try $0.run(json: json, timeout: timeout) }
    }

    /// Each output of the program on a JSON text, as it comes.
    package func forEachOutput(json: String, _ body: (String) throws -> Void) throws {
        try withProgram { try $0.forEachOutput(json: json, timeout: timeout, body) }
    }

    /// Outputs of the program on a JSON text, as values.
    package func values(json: String) throws -> [JSON] {
        try withProgram { try $0.values(json: json, timeout: timeout) }
    }

    /// The single value the program gives for `json` as plain text (strings unquoted), for
    /// keys. Throws unless there is exactly one output.
    package func singleText(json: String, what: String, strict: Bool = false) throws -> String {
        try plainText(json: json, strict: strict) { count in
            StageError.permanent("\(what) `\(source)` gave \(count) values, expected exactly 1", class: "key")
        } ?? "null"
    }

    /// The plain text of the single value the program gives for `json` (strings unquoted),
    /// nil for null; `tooMany` is the error for any other number of outputs. A program that is
    /// only member names (`.id`) reads strict JSON without jq, and asks jq whenever the scan
    /// cannot tell (keys, templates: the per-item hot paths).
    /// `strict`: `json` is known to be strict JSON (``JSONScan/isStrict(_:)``), which the scan
    /// then does not check again.
    package func plainText(json: String, strict: Bool = false, tooMany: (Int) -> StageError) throws -> String? {
        if let simplePath {
            switch JSONScan.lookup(simplePath, in: json, strict: strict) {
            case .text(let text): return text
            case .null, .missing: return nil
            case .unknown: break
            }
        }
        let outputs = try values(json: json)
        guard outputs.count == 1 else { throw tooMany(outputs.count) }
        return outputs[0].plainText
    }
}
