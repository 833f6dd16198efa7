/// What the database says about the runs a metrics reader reports: per stage backlog and
/// the age of its oldest waiting item, per run its live processes.
package struct FleetGauges: Sendable {
    package struct StageGauge: Sendable {
        package var pipeline: String
        package var run: String
        package var stage: String
        package var pending: Int
        package var oldestPendingSeconds: Double
    }

    package struct WorkerGauge: Sendable {
        package var pipeline: String
        package var run: String
        package var live: Int
    }

    package var stages: [StageGauge]
    package var workers: [WorkerGauge]

    package init(stages: [StageGauge] = [], workers: [WorkerGauge] = []) {
        self.stages = stages
        self.workers = workers
    }
}
