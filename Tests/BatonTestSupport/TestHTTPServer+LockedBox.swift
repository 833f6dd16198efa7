internal import Synchronization

extension TestHTTPServer {
    /// A value shared between a `@Sendable` handler and the test, behind a lock:
    /// `let calls = TestHTTPServer.LockedBox(0)`, then `calls.withLock { $0 += 1; return $0 }`.
    public final class LockedBox<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>

        public init(_ value: Value) {
            mutex = Mutex(value)
        }

        /// A copy of the current value.
        public var value: Value {
            mutex.withLock { $0 }
        }

        /// Runs `body` with exclusive access to the value.
        @discardableResult
        public func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
            mutex.withLock { body(&$0) }
        }
    }
}
