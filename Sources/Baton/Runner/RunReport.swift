/// What a run ended with, as seen by this process.
public struct RunReport: Sendable {
    /// The run as it is now (its state: `succeeded`, `failed`, or still `running` when this
    /// process stopped early).
    public var run: RunRecord
    /// Per stage counts and timings, from the database (every process's work).
    public var stages: [StageSummary]
    /// Time this process spent on the run.
    public var wallTime: Duration
    /// Set when the process stopped before the run was complete.
    public var stopReason: RunController.StopReason
    /// True when this process found nothing left to do (a resumed, finished run).
    public var wasAlreadyFinished: Bool
}
