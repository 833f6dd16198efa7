import Foundation
public import Logging

/// How one process works a run.
public struct RunOptions: Sendable {
    /// Worker loops (each with its own database connection).
    public var workers: Int
    /// Identifies this process in `leased_by` and the attempt history: `host:pid`.
    public var workerName: String
    /// Longest sleep of an idle worker between polls.
    public var maxIdle: Duration
    /// Seed the source (false for processes that only help with existing items).
    public var seed: Bool
    /// Seed the source and return without working any item: no worker loops, and the
    /// seeder does not pause at the first stage's backlog. The run stays `running`, for
    /// `baton work` processes or `baton resume` (`baton run --seed-only`).
    public var seedOnly = false
    /// Records per seeding transaction.
    public var seedChunkSize: Int
    /// Records per seeding transaction at least, for a run seeded in bulk (at most 8 MiB of
    /// records either way).
    static let bulkSeedChunkSize = 50_000
    /// How often expired leases are looked for.
    public var rescueInterval: Duration
    /// How often live progress is reported (nil: never).
    public var progressInterval: Duration?
    /// Receives live progress every ``progressInterval``.
    public var progress: (@Sendable (ProgressSnapshot) -> Void)?
    /// How long a lost database is waited for (reconnecting with backoff) before the process
    /// gives up with a temporary error.
    public var reconnectBudget: Duration
    /// Idle workers only poll (every up to ``maxIdle``) instead of also waking on the
    /// `baton_work` notifications of commits that enqueue items (LISTEN/NOTIFY). Automatic
    /// behind a transaction pooler.
    public var pollOnly = false
    /// Where the engine logs (swift-log), with `run.id`, `stage.name`, `item.key` metadata;
    /// the children of stream exec stages log their stderr here too.
    public var logger: Logger

    /// Options; `workers` is at least 1.
    public init(
        workers: Int = 4, workerName: String = RunOptions.defaultWorkerName(), maxIdle: Duration = .milliseconds(500),
        seed: Bool = true, seedChunkSize: Int = 5_000, rescueInterval: Duration = .seconds(5),
        progressInterval: Duration? = nil, progress: (@Sendable (ProgressSnapshot) -> Void)? = nil,
        reconnectBudget: Duration = .seconds(60),
        logger: Logger = Logger(label: "baton")
    ) {
        self.workers = max(1, workers)
        self.workerName = workerName
        self.maxIdle = maxIdle
        self.seed = seed
        self.seedChunkSize = max(1, seedChunkSize)
        self.rescueInterval = rescueInterval
        self.progressInterval = progressInterval
        self.progress = progress
        self.reconnectBudget = reconnectBudget
        self.logger = logger
    }

    /// `HOST:PID` of this process.
    public static func defaultWorkerName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
