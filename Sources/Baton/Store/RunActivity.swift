/// How long a run was really worked: time with items in flight, leaving out pauses of more
/// than 10 seconds in which nothing of the run was (between a run and its replay, an
/// interruption and its resume). Throughput and durations are measured on it.
package struct RunActivity: Sendable, Hashable {
    /// Seconds with any item of the run in flight.
    package var runSeconds: Double?
    /// Per stage: seconds from its first claim to its last commit within the busy periods.
    package var stageSeconds: [String: Double]
}
