/// Where a stage's commit writes.
package struct CommitTarget: Sendable {
    package var runID: Int64
    package var stage: String
    package var stageHash: String
    /// The next stage's name; nil for the last stage.
    package var nextStage: String?
    package var nextMaxAttempts: Int
    /// Children per batch of the next stage.
    package var nextBatchSize: Int
    /// Children per batch, nil when there is no next stage: the children of the last stage
    /// are results (or nothing), which take no batch.
    package var childBatchSize: Int? { nextStage == nil ? nil : nextBatchSize }
    /// Write outputs of the last stage to `baton.results`.
    package var writesResults: Bool
    /// Recorded with failed attempts (`host:pid/wN`).
    package var worker: String
    /// Backoff of items whose effect fails transiently during the commit.
    package var retry: RetryPolicy

    package init(runID: Int64, stage: String, stageHash: String, nextStage: String?, nextMaxAttempts: Int, nextBatchSize: Int = 200,
                 writesResults: Bool, worker: String, retry: RetryPolicy) {
        self.runID = runID
        self.stage = stage
        self.stageHash = stageHash
        self.nextStage = nextStage
        self.nextMaxAttempts = nextMaxAttempts
        self.nextBatchSize = max(1, min(nextBatchSize, Store.maxBatchSize))
        self.writesResults = writesResults
        self.worker = worker
        self.retry = retry
    }
}
