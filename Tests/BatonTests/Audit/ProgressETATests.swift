@testable import Baton
@testable import BatonCLI
import Testing

/// The progress view's per-stage ETA counts what is left of the whole source, not only the
/// items seeded so far (issue 10, point 8: `shape 63800/85000 … ETA 5s` with 25 s left).
@Suite struct ProgressETATests {
    static func stage(_ name: String, pending: Int, done: Int, skipped: Int = 0, rate: Double) -> ProgressSnapshot.Stage {
        ProgressSnapshot.Stage(name: name, pending: pending, running: 0, done: done, skipped: skipped, failed: 0, retried: 0, itemsPerSecond: rate)
    }

    @Test func whileSeedingAStagesETAIsForTheWholeSourceAtItsRate() throws {
        // 18 400 of 200 000 done, 5 000 more seeded, 10 000/s: 18 s left, not half a second.
        let s = ProgressSnapshot(runName: "r", stages: [Self.stage("shape", pending: 5_000, done: 18_400, rate: 10_000),
                                                        Self.stage("drop", pending: 100, done: 6_100, skipped: 12_200, rate: 5_000)],
                                 seeded: 23_400, seedDone: false, elapsed: .seconds(3), sourceTotal: 200_000)
        let shape = try #require(ProgressRenderer.stageETA(s, stage: 0))
        #expect(abs(shape - 18.16) < 0.01, "\(shape)")
        // drop got one item per shape item: 100 queued plus 181 600 to come, at 5 000/s.
        let drop = try #require(ProgressRenderer.stageETA(s, stage: 1))
        #expect(abs(drop - 36.34) < 0.01, "\(drop)")
        #expect(ProgressRenderer.runETA(s).map { abs($0 - drop) < 0.01 } == true)
    }

    @Test func onceSeededOrWithoutAKnownTotalTheQueueIsWhatIsLeft() throws {
        let seeded = ProgressSnapshot(runName: "r", stages: [Self.stage("shape", pending: 1_000, done: 199_000, rate: 10_000)],
                                      seeded: 200_000, seedDone: true, elapsed: .seconds(20), sourceTotal: 200_000)
        #expect(ProgressRenderer.stageETA(seeded, stage: 0).map { abs($0 - 0.1) < 0.001 } == true)
        let query = ProgressSnapshot(runName: "r", stages: [Self.stage("shape", pending: 2_000, done: 5_000, rate: 1_000)],
                                     seeded: 7_000, seedDone: false, elapsed: .seconds(5))
        #expect(ProgressRenderer.stageETA(query, stage: 0).map { abs($0 - 2) < 0.001 } == true)
        #expect(ProgressRenderer.runETA(query) == nil, "no whole-run ETA without the source's size")
        let done = ProgressSnapshot(runName: "r", stages: [Self.stage("shape", pending: 0, done: 5_000, rate: 1_000)],
                                    seeded: 5_000, seedDone: true, elapsed: .seconds(5))
        #expect(ProgressRenderer.stageETA(done, stage: 0) == nil)
    }
}
