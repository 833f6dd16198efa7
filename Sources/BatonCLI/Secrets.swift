import Baton
import Synchronization

/// Values that came from the environment through the loaded pipeline: every line Baton
/// prints (logs, errors, reports) is redacted with them.
enum Secrets {
    private static let redactor = Mutex(Redactor(secrets: []))

    static func register(_ secrets: [String]) {
        redactor.withLock { $0 = Redactor(secrets: $0.secrets + secrets) }
    }

    static func redact(_ text: String) -> String {
        redactor.withLock { $0 }.redact(text)
    }
}
