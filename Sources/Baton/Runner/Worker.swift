import BatonPostgres
import Foundation
import Logging

/// One worker loop: claim a batch → transform it → commit it in one fenced transaction,
/// preferring downstream stages, until the run is complete or the process stops.
struct Worker {
    let index: Int
    let context: RunContext
    private let session: PostgresSession
    private let name: String

    init(index: Int, context: RunContext) {
        self.index = index
        self.context = context
        session = PostgresSession(config: context.database, name: "baton-w\(index)")
        name = "\(context.options.workerName)/w\(index)"
    }

    private var stages: [Stage] { context.pipeline.stages }

    func run() async throws {
        do {
            try await loop()
        } catch is CancellationError {
            // A sibling failed; it reports the error.
        } catch {
            // Stop the other workers and the seeder too, with this error.
            context.fail(error)
            throw error
        }
    }

    private func loop() async throws {
        var emptyUntil = [ContinuousClock.Instant?](repeating: nil, count: stages.count)
        var idle: Duration = .milliseconds(10)
        var failingSince: ContinuousClock.Instant?
        var unreleased: [UUID] = []
        while !context.shouldStop && !Task.isCancelled {
            do {
                if !unreleased.isEmpty {
                    // Claims whose answer was lost with the connection: give those items back.
                    let tokens = unreleased
                    try await session.withConnection { _ = try Store.releaseLeases($0, tokens: tokens) }
                    unreleased = []
                }
                if try await workOneBatch(&emptyUntil, unreleased: &unreleased) {
                    idle = .milliseconds(10)
                    failingSince = nil
                    continue
                }
                let run = context.run.id
                let progress = try await session.withConnection { try Store.progress($0, runID: run) }
                failingSince = nil
                if progress.isComplete {
                    context.markComplete()
                    return
                }
                var wait = idle
                if progress.ready == 0, progress.running == 0, let next = progress.nextAvailableIn {
                    wait = min(context.options.maxIdle, .seconds(max(0.005, next)))
                }
                try await Task.sleep(for: wait)
                idle = min(idle * 2, context.options.maxIdle)
                emptyUntil = emptyUntil.map { _ in nil }
            } catch let error as PostgresError where error.isConnectionError {
                let since = failingSince ?? .now
                failingSince = since
                if ContinuousClock.now - since > .seconds(60) {
                    throw BatonError(.unavailable, "database unavailable for over a minute: \(error)")
                }
                context.logger.warning("database connection lost; reconnecting", metadata: ["error": "\(error)", "worker": "\(name)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Claims and finishes one batch of the most downstream stage that has claimable items
    /// and whose consumer is not backed up. False when there was nothing to do.
    private func workOneBatch(_ emptyUntil: inout [ContinuousClock.Instant?], unreleased: inout [UUID]) async throws -> Bool {
        let now = ContinuousClock.now
        for s in stages.indices.reversed() {
            if context.isBacklogFull(stage: s + 1) { continue }
            if let until = emptyUntil[s], now < until { continue }
            let stage = stages[s]
            let run = context.run.id
            let worker = name
            // The token is ours before the claim: if the answer is lost with the connection,
            // the items it leased can still be given back.
            let claimToken = UUID()
            let batch: [ClaimedItem]
            do {
                batch = try await session.withConnection { conn in
                    try Store.claim(conn, runID: run, stage: stage.name, limit: stage.batchSize, lease: stage.lease,
                                    worker: worker, token: claimToken)
                }
            } catch let error as PostgresError where error.isConnectionError {
                unreleased.append(claimToken)
                throw error
            }
            guard let token = batch.first?.leaseToken else {
                emptyUntil[s] = now + .milliseconds(25)
                continue
            }
            context.adjustBacklog(stage: s, by: -batch.count)
            context.holdLease(token, lease: stage.lease)
            defer { context.dropLease(token) }
            let (completions, failures, halt) = await transform(batch, stage: s)
            if context.controller.isAborting || Task.isCancelled {
                try await session.withConnection { _ = try Store.releaseLeases($0, tokens: [token]) }
                return true
            }
            let target = commitTarget(stage: s)
            do {
                let report = try await session.withConnection { conn in
                    try Store.commit(conn, target: target, completions: completions, failures: failures)
                }
                context.record(stage: s, report)
                context.adjustBacklog(stage: s + 1, by: report.enqueued)
                if report.leaseLost > 0 {
                    context.logger.warning("lease lost: outputs of \(report.leaseLost) item(s) discarded (another worker has them)",
                                           metadata: ["stage.name": "\(stage.name)"])
                }
            } catch let error as PostgresError where error.isConnectionError {
                // Give the items back (fenced: a no-op if the commit did land).
                _ = try? await session.withConnection { try Store.releaseLeases($0, tokens: [token]) }
                throw error
            } catch let error as PostgresError where error.isTransient {
                // A deadlock or serialization failure that outlasted the commit's own retries:
                // nothing was written; give the items back for another try.
                context.logger.warning("commit failed, items given back: \(error)", metadata: ["stage.name": "\(stage.name)"])
                _ = try? await session.withConnection { try Store.releaseLeases($0, tokens: [token]) }
                return true
            }
            if let halt {
                // Items not committed above are still ours: give them back without using an attempt.
                _ = try? await session.withConnection { try Store.releaseLeases($0, tokens: [token]) }
                context.fail(BatonError(.unavailable, context.pipeline.redact(halt.message)))
            }
            return true
        }
        return false
    }

    private func commitTarget(stage s: Int) -> CommitTarget {
        let stage = stages[s]
        let next = s + 1 < stages.count ? stages[s + 1] : nil
        return CommitTarget(
            runID: context.run.id, stage: stage.name, stageHash: stage.definitionHash, nextStage: next?.name,
            nextMaxAttempts: next?.retry.maxAttempts ?? 1,
            writesResults: next == nil && stage.transform.writesResultsWhenLast,
            worker: name, keys: next.map { _ in context.keys[s + 1] } ?? KeyDeriver(expression: nil), retry: stage.retry
        )
    }

    private enum Outcome: Sendable {
        case completed(ItemCompletion)
        case failed(ItemFailure)
        /// The stage cannot go on: give the item back untouched and stop the process.
        case halted(StageError)
    }

    /// Runs the stage's transform on every item (up to the stage's concurrency at once across
    /// the process) and sorts the results into completions and failures.
    private func transform(_ batch: [ClaimedItem], stage s: Int) async -> ([ItemCompletion], [ItemFailure], StageError?) {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        if stages[s].concurrency == 1 || batch.count == 1 {
            for item in batch { outcomes.append(await process(item, stage: s)) }
        } else {
            outcomes = await withTaskGroup(of: Outcome.self) { group in
                for item in batch {
                    group.addTask { await process(item, stage: s) }
                }
                var collected: [Outcome] = []
                for await outcome in group { collected.append(outcome) }
                return collected
            }
        }
        var completions: [ItemCompletion] = []
        var failures: [ItemFailure] = []
        var halt: StageError?
        for outcome in outcomes {
            switch outcome {
            case .completed(let completion): completions.append(completion)
            case .failed(let failure): failures.append(failure)
            case .halted(let error): halt = halt ?? error
            }
        }
        return (completions, failures, halt)
    }

    private func process(_ item: ClaimedItem, stage s: Int) async -> Outcome {
        let stage = stages[s]
        let isLast = s + 1 == stages.count
        let input = StageInput(
            itemID: item.id, key: item.key, payload: item.payload, attempt: item.attempt, maxAttempts: item.maxAttempts,
            runID: context.run.id, runName: context.run.name, stage: stage.name
        )
        do {
            let output = try await context.limiters[s].withPermit { try await stage.transform.process(input) }
            var children: [ChildItem] = []
            if !isLast || stage.transform.writesResultsWhenLast {
                children.reserveCapacity(output.outputs.count)
                let keys = isLast ? KeyDeriver(expression: nil) : context.keys[s + 1]
                for (position, out) in output.outputs.enumerated() {
                    let key = try out.key ?? keys.key(parent: item.key, position: position, payload: out.payload)
                    children.append(ChildItem(key: key, payload: out.payload))
                }
            }
            return .completed(ItemCompletion(
                item: item, children: children, effects: output.effects,
                outputsFromEffects: output.outputsFromEffects && (!isLast || stage.transform.writesResultsWhenLast)
            ))
        } catch {
            var classified = Store.classify(error)
            if classified.haltsRun { return .halted(classified) }
            // Messages are stored and printed: never with a value that came from the environment.
            classified.message = context.pipeline.redact(classified.message)
            var delay = stage.retry.delay(afterAttempt: item.attempt, random: Double.random(in: 0..<1))
            if let requested = classified.retryAfter, requested > delay { delay = requested }
            if item.attempt < item.maxAttempts, !classified.isPermanent {
                context.logger.debug("attempt failed; will retry", metadata: [
                    "stage.name": "\(stage.name)", "item.key": "\(item.key)", "error": "\(classified.message)",
                ])
            }
            return .failed(ItemFailure(
                item: item, isPermanent: classified.isPermanent, delay: delay,
                errorClass: classified.errorClass, message: classified.message
            ))
        }
    }
}
