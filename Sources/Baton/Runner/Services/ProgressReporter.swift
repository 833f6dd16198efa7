import BatonPostgres
import Synchronization

/// Live progress for the CLI: per-stage counts and rates, at the display's interval (or at
/// most every 10× what a count costs, on huge runs).
final class ProgressReporter: MaintenanceService {
    let context: RunContext
    let name = "progress"
    let interval: Duration
    private let report: @Sendable (ProgressSnapshot) -> Void
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// Touched by this service's one loop only; a Mutex keeps it Sendable.
    private let previous = Mutex<(finished: [String: (Int, ContinuousClock.Instant)], skipUntil: ContinuousClock.Instant?)>(([:], nil))


    init?(context: RunContext) {
        guard let interval = context.options.progressInterval, let report = context.options.progress else { return nil }
        self.context = context
        self.interval = interval
        self.report = report
        start = clock.now
        previous.withLock { $0.skipUntil = start + interval }
    }

    func step(_ session: PostgresSession) async throws {
        let now = clock.now
        if let skip = previous.withLock({ $0.skipUntil }), now < skip { return }
        let run = context.run.id
        let (counts, record) = try await session.withConnection { conn in
            (try Store.stageCounts(conn, runID: run), try Store.run(conn, id: run))
        }
        let cost = clock.now - now
        var stages: [ProgressSnapshot.Stage] = []
        previous.withLock { state in
            if cost * 10 > interval { state.skipUntil = now + cost * 10 }
            for (index, stage) in context.pipeline.stages.enumerated() {
                let c = counts[stage.name] ?? [:]
                let finished = (c[.done] ?? 0) + (c[.skipped] ?? 0) + (c[.failed] ?? 0)
                // Rate since the last report; the first report averages since the start.
                var rate = 0.0
                if let (before, then) = state.finished[stage.name] {
                    let seconds = (now - then).seconds
                    if seconds > 0 { rate = Double(finished - before) / seconds }
                } else if now - start > .zero {
                    rate = Double(finished) / (now - start).seconds
                }
                state.finished[stage.name] = (finished, now)
                stages.append(ProgressSnapshot.Stage(
                    name: stage.name, pending: c[.pending] ?? 0, running: c[.running] ?? 0, done: c[.done] ?? 0,
                    skipped: c[.skipped] ?? 0, failed: c[.failed] ?? 0, retried: context.retried(stage: index),
                    itemsPerSecond: max(0, rate)
                ))
            }
        }
        report(ProgressSnapshot(
            runName: context.run.name, stages: stages, seeded: record?.seeded ?? 0, seedDone: record?.seedDone ?? false,
            elapsed: now - start, sourceTotal: record?.sourceTotal, sourceName: context.pipeline.source.definition.displayName
        ))
    }
}
