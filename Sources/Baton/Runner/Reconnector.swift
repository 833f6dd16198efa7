import BatonPostgres
import Logging

/// The one reconnect policy of every component of a run (workers, the seeder, the
/// maintenance services): when the database goes away, wait with growing, jittered pauses and
/// try again, for up to ``budget`` since the first failure in a row; the run then goes on by
/// itself. Past the budget the component gives up with a temporary error (exit 75: safe to
/// rerun), never with "database error".
struct Reconnector {
    let budget: Duration
    let what: String
    let logger: Logger
    private var failingSince: ContinuousClock.Instant?
    private var pause: Duration = .milliseconds(100)

    init(budget: Duration, what: String, logger: Logger) {
        self.budget = budget
        self.what = what
        self.logger = logger
    }

    /// The component did some work against the database: a later failure starts a new budget.
    mutating func succeeded() {
        if failingSince != nil {
            logger.notice("\(what): database reachable again")
        }
        failingSince = nil
        pause = .milliseconds(100)
    }

    /// The database went away: waits before the next try, or throws once the budget is spent.
    mutating func failed(_ error: any Error) async throws {
        let now = ContinuousClock.now
        let since = failingSince ?? now
        if failingSince == nil {
            let doing = FailurePolicy.needsReconnect(error) ? "database connection lost; reconnecting" : "another session holds what it needs; trying again"
            logger.warning("\(what): \(doing)", metadata: ["error": "\(error)"])
        }
        failingSince = since
        if now - since > budget {
            throw BatonError(.temporary, "\(what): the database has been unreachable for over \(budget.components.seconds)s (\(error)); the run is safe to resume")
        }
        let jittered = pause * Double.random(in: 0.5...1.0)
        try await Task.sleep(for: jittered)
        pause = min(pause * 2, .seconds(2))
    }

    /// Runs `body` until it succeeds, riding out lost connections within the budget.
    mutating func run<T>(_ body: () async throws -> T) async throws -> T {
        while true {
            do {
                let value = try await body()
                succeeded()
                return value
            } catch let error where FailurePolicy.needsReconnect(error) {
                try await failed(error)
            }
        }
    }
}
