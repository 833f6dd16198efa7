package import BatonPostgres
package import Logging

/// What a reader may need besides its definition: the run's database, which pipeline and run
/// it reads for, the incremental cursor, and a way to notice that the run is stopping.
package struct SourceReaderContext: Sendable {
    /// The run's own database.
    package var database: ConnectionConfig
    package var pipeline: String
    /// 0 while the source is only being checked (before the run exists).
    package var runID: Int64
    /// The incremental cursor this run reads from (`:_cursor`, `{{ $cursor }}`), nil
    /// without `incremental`.
    package var cursor: String?
    /// True once the run is asked to stop: long waits (retries, `Retry-After`) give up.
    package var shouldStop: @Sendable () -> Bool
    package var logger: Logger

    package init(database: ConnectionConfig, pipeline: String, runID: Int64, cursor: String? = nil,
                 shouldStop: @escaping @Sendable () -> Bool = { false }, logger: Logger = Logger(label: "baton.source")) {
        self.database = database
        self.pipeline = pipeline
        self.runID = runID
        self.cursor = cursor
        self.shouldStop = shouldStop
        self.logger = logger
    }
}
