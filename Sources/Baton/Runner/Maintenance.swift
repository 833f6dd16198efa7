import BatonPostgres
import Foundation
import Logging

/// The housekeeping of one process while it works a run, on a connection of its own:
/// heartbeats for held leases, rescue of expired leases (any process's), backlog checks for
/// backpressure, and live progress.
///
/// An actor on a thread of its own: heartbeats keep their rhythm even when CPU-heavy
/// transforms keep Swift's cooperative threads busy, so leases do not expire under load.
actor Maintenance {
    let context: RunContext
    private let session: PostgresSession
    /// Heartbeats have a connection of their own, so a slow count never delays them.
    private let heartbeatSession: PostgresSession
    private let executor = DedicatedThreadExecutor(name: "baton-maint-loop")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(context: RunContext) {
        self.context = context
        session = PostgresSession(config: context.database, name: "baton-maint")
        heartbeatSession = PostgresSession(config: context.database, name: "baton-beat")
    }

    deinit { executor.shutdown() }

    /// Runs until `finished()` says the workers are done.
    func run(until finished: @Sendable () -> Bool) async {
        let clock = ContinuousClock()
        let start = clock.now
        let shortestLease = context.pipeline.stages.map(\.lease).min() ?? .seconds(30)
        let heartbeatEvery = shortestLease / 3
        // Look for expired leases at least as often as the shortest lease.
        let rescueEvery = min(context.options.rescueInterval, shortestLease)
        async let heartbeats: Void = beat(every: heartbeatEvery, until: finished)
        var lastRescue = start - rescueEvery
        var lastBacklog = start - .seconds(1)
        var lastProgress = start
        var lastStateCheck = start
        var lastWorkerBeat = start - .seconds(Store.workerBeatSeconds)
        var progressCost: Duration = .zero
        var previousFinished: [String: (Int, ContinuousClock.Instant)] = [:]
        let limit = context.pipeline.backlogLimit
        let run = context.run.id
        let stageNames = context.pipeline.stages.map(\.name)

        while !finished() {
            let now = clock.now
            do {
                if now - lastWorkerBeat >= .seconds(Store.workerBeatSeconds) {
                    lastWorkerBeat = now
                    try await beatWorker()
                }
                if now - lastRescue >= rescueEvery {
                    lastRescue = now
                    let rescued = try await session.withConnection { try Store.rescueExpired($0, runID: run) }
                    if rescued > 0 {
                        context.logger.warning("rescued \(rescued) item(s) whose lease expired (their worker stopped)")
                    }
                }
                if now - lastBacklog >= .milliseconds(250) {
                    lastBacklog = now
                    for (index, name) in stageNames.enumerated() {
                        context.beginBacklogCount(stage: index)
                        // Counted up to 4 × the limit (cheap on any queue size): a saturated count
                        // then stays above the limit until claims really bring it down.
                        let backlog = try await session.withConnection {
                            try Store.pendingBacklog($0, runID: run, stage: name, limit: 4 * limit + 1)
                        }
                        context.finishBacklogCount(stage: index, backlog)
                    }
                }
                if now - lastStateCheck >= .seconds(1) {
                    lastStateCheck = now
                    let state = try await session.withConnection { try Store.run($0, id: run)?.state }
                    if state == .cancelled && !context.controller.isStopping {
                        context.logger.notice("the run was cancelled: finishing in-flight items, claiming no more")
                        context.controller.requestStop(.cancelled)
                    }
                }
                if let interval = context.options.progressInterval, let report = context.options.progress,
                   now - lastProgress >= max(interval, progressCost * 10) {
                    lastProgress = now
                    let snapshot = try await progressSnapshot(elapsed: now - start, previous: &previousFinished, at: now)
                    // Counting a huge run's items is not free: report at most every 10× what it costs.
                    progressCost = clock.now - now
                    report(snapshot)
                }
            } catch {
                context.logger.debug("maintenance step failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        await heartbeats
        let name = context.options.workerName
        _ = try? await session.withConnection { try Store.removeWorker($0, name: name) }
    }

    /// Refreshes this process's row in `baton.workers`: `baton status` shows a run nobody
    /// refreshes as interrupted.
    private func beatWorker() async throws {
        let name = context.options.workerName
        let run = context.run.id
        try await session.withConnection {
            try Store.beatWorker($0, name: name, runID: run, pid: ProcessInfo.processInfo.processIdentifier,
                                 host: ProcessInfo.processInfo.hostName)
        }
    }

    /// Extends this process's leases every third of the shortest lease.
    private func beat(every interval: Duration, until finished: @Sendable () -> Bool) async {
        var last = ContinuousClock.now
        while !finished() {
            try? await Task.sleep(for: .milliseconds(20))
            guard ContinuousClock.now - last >= interval else { continue }
            last = .now
            for (lease, tokens) in context.heartbeatLeases {
                do {
                    try await heartbeatSession.withConnection { _ = try Store.renewLeases($0, tokens: tokens, lease: lease) }
                } catch {
                    context.logger.debug("heartbeat failed; retrying", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func progressSnapshot(
        elapsed: Duration, previous: inout [String: (Int, ContinuousClock.Instant)], at now: ContinuousClock.Instant
    ) async throws -> ProgressSnapshot {
        let run = context.run.id
        let (counts, record) = try await session.withConnection { conn in
            (try Store.stageCounts(conn, runID: run), try Store.run(conn, id: run))
        }
        let local = context.localStats
        var stages: [ProgressSnapshot.Stage] = []
        for (index, stage) in context.pipeline.stages.enumerated() {
            let c = counts[stage.name] ?? [:]
            let finished = (c[.done] ?? 0) + (c[.skipped] ?? 0) + (c[.failed] ?? 0)
            // Rate since the last report; the first report averages since the start.
            var rate = 0.0
            if let (before, then) = previous[stage.name] {
                let seconds = (now - then).seconds
                if seconds > 0 { rate = Double(finished - before) / seconds }
            } else if elapsed > .zero {
                rate = Double(finished) / elapsed.seconds
            }
            previous[stage.name] = (finished, now)
            stages.append(ProgressSnapshot.Stage(
                name: stage.name, pending: c[.pending] ?? 0, running: c[.running] ?? 0, done: c[.done] ?? 0,
                skipped: c[.skipped] ?? 0, failed: c[.failed] ?? 0, retried: local.retried[index] ?? 0,
                itemsPerSecond: max(0, rate)
            ))
        }
        return ProgressSnapshot(
            runName: context.run.name, stages: stages, seeded: record?.seeded ?? 0, seedDone: record?.seedDone ?? false,
            elapsed: elapsed, sourceTotal: record?.sourceTotal, sourceName: context.pipeline.source.definition.displayName
        )
    }
}

extension RunContext {
    /// Held lease tokens grouped by lease length.
    var heartbeatLeases: [Duration: [UUID]] {
        var grouped: [Duration: [UUID]] = [:]
        for (token, lease) in heldLeases { grouped[lease, default: []].append(token) }
        return grouped
    }
}
