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
    private let ids = BatchIDPoolBox()

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
            // A sibling failed or the process is abandoning its work; leases are released by the engine.
            context.logger.debug("worker \(name) cancelled")
        } catch {
            // Stop the other workers and the seeder too, with this error.
            context.fail(error)
            throw error
        }
    }

    private func loop() async throws {
        var emptyUntil = [ContinuousClock.Instant?](repeating: nil, count: stages.count)
        var idle: Duration = .milliseconds(10)
        var reconnector = Reconnector(budget: context.options.reconnectBudget, what: "worker \(name)", logger: context.logger)
        while !context.shouldStop && !Task.isCancelled {
            do {
                try await giveBackLostClaims()
                if try await workOneBatch(&emptyUntil) {
                    reconnector.succeeded()
                    idle = .milliseconds(10)
                    continue
                }
                let run = context.run.id
                let progress = try await session.withConnection { try Store.progress($0, runID: run) }
                reconnector.succeeded()
                if progress.isComplete {
                    context.logger.debug("worker \(name): nothing pending or running, seeding done: the run is complete")
                    context.markComplete()
                    return
                }
                var wait = idle
                if progress.ready == 0, progress.running == 0, let next = progress.nextAvailableIn {
                    wait = min(context.options.maxIdle, .seconds(max(0.005, next)))
                }
                // Woken early when a commit enqueues items of the run (LISTEN/NOTIFY).
                try await context.wakeup.wait(upTo: wait)
                idle = min(idle * 2, context.options.maxIdle)
                emptyUntil = emptyUntil.map { _ in nil }
            } catch let error where FailurePolicy.needsReconnect(error) {
                try await reconnector.failed(error)
            }
        }
    }

    /// Claims whose answer (or whose commit's answer) was lost with the connection: give
    /// those batches back (fenced: a no-op for a commit that did land).
    private func giveBackLostClaims() async throws {
        let tokens = context.lostClaims(of: index)
        guard !tokens.isEmpty else { return }
        try await session.withConnection { _ = try Store.releaseLeases($0, tokens: tokens) }
        context.forgetLostClaims(tokens, of: index)
    }

    /// Claims and finishes one batch of the most downstream stage that has claimable items
    /// and whose consumer is not backed up. False when there was nothing to do.
    private func workOneBatch(_ emptyUntil: inout [ContinuousClock.Instant?]) async throws -> Bool {
        let now = ContinuousClock.now
        for s in stages.indices.reversed() {
            if context.isBacklogFull(stage: s + 1) { continue }
            if let until = emptyUntil[s], now < until { continue }
            let stage = stages[s]
            let run = context.run.id
            let worker = name
            // The token is ours before the claim: if the answer is lost with the connection,
            // the batches it leased can still be given back.
            let token = UUID()
            context.holdLease(token, lease: stage.lease)
            defer { context.dropLease(token) }
            let claim: Claim
            do {
                claim = try await session.withConnection { conn in
                    try Store.claim(conn, runID: run, stage: stage.name, limit: stage.batchSize, lease: stage.lease,
                                    worker: worker, token: token)
                }
            } catch let error where FailurePolicy.needsReconnect(error) {
                context.recordLostClaim(token, of: index)
                throw error
            }
            guard !claim.batches.isEmpty else {
                emptyUntil[s] = now + .milliseconds(25)
                continue
            }
            context.adjustBacklog(stage: s, by: -claim.items.count)
            try await finish(claim, stage: s, claimedAt: ContinuousClock.now)
            return true
        }
        return false
    }

    /// Transforms a claim's items and commits them; gives them back when the process stops
    /// or the stage halts.
    private func finish(_ claim: Claim, stage s: Int, claimedAt: ContinuousClock.Instant) async throws {
        let stage = stages[s]
        var (completions, failures, halted, halt) = await transform(claim.items, stage: s)
        if context.controller.isAborting || Task.isCancelled || completions.count + failures.count + halted.count < claim.items.count {
            // Abandoned (the process is leaving its work): nothing of the claim is committed,
            // it all goes back.
            await giveBack(claim.token)
            return
        }
        if let halt {
            // The stage cannot go on (its service looks down): what was done and what failed
            // is committed; the items halted before or while they ran go back untouched,
            // without using an attempt (`givesBack`); then the run stops.
            failures += halted.map { ItemFailure.givenBack($0, errorClass: halt.errorClass, message: context.pipeline.redact(halt.message)) }
        }
        let fusion = halt == nil ? await fuse(completions, after: s, token: claim.token) : nil
        let target = commitTarget(stage: s)
        let keys = s + 1 < stages.count ? context.keys[s + 1] : KeyDeriver(expression: nil)
        let ids = self.ids
        let report: CommitReport
        let committing = ContinuousClock.now
        do {
            report = try await session.withConnection { conn in
                try Store.commit(conn, target: target, batches: claim.batches, token: claim.token,
                                 completions: completions, failures: failures, ids: ids.pool, fusion: fusion) { parent, rows in
                    try rows.enumerated().map { position, payload in
                        ChildItem(key: try keys.key(parent: parent.key, position: position, payload: payload), payload: payload)
                    }
                }
            }
        } catch let error where FailurePolicy.needsReconnect(error) {
            // Unknown whether it landed: give the batches back on the next connection.
            context.recordLostClaim(claim.token, of: index)
            throw error
        } catch {
            report = try await failWhole(claim, completions: completions, failures: failures, error: error, target: target)
        }
        context.record(stage: s, report)
        context.recordMetrics(stage: s, report, items: claim.items.count, claimedAt: claimedAt, committing: committing)
        context.adjustBacklog(stage: s + 1, by: report.enqueued)
        if let fusion {
            for (part, partReport) in zip(fusion.parts, report.fused) {
                let j = part.stage
                context.record(stage: j, partReport)
                context.recordMetrics(stage: j, partReport, items: part.completions.count, claimedAt: claimedAt, committing: committing)
                context.adjustBacklog(stage: j + 1, by: partReport.enqueued)
            }
        }
        if report.leaseLost > 0 {
            context.logger.warning("lease lost: outputs of \(report.leaseLost) item(s) discarded (another worker has them)",
                                   metadata: ["stage.name": "\(stage.name)"])
        }
        if let halt {
            context.fail(BatonError.stageHalt(context.pipeline.redact(halt.message)))
        }
    }

    /// A commit that failed for a reason no item could be blamed for (its children's or
    /// results' data, a conflict that outlasted its retries): every item of the claim fails
    /// with that error (retried if it is transient), so nothing is stuck and nothing lost.
    private func failWhole(_ claim: Claim, completions: [ItemCompletion], failures: [ItemFailure], error: any Error,
                           target: CommitTarget) async throws -> CommitReport {
        let classified = FailurePolicy.classify(error)
        context.logger.warning("commit failed; the batch's items are recorded as failed attempts: \(classified.message)",
                               metadata: ["stage.name": "\(target.stage)"])
        let all = failures + completions.map { completion in
            ItemFailure(item: completion.item, isPermanent: classified.isPermanent,
                        delay: target.retry.delay(afterAttempt: completion.item.attempt, random: Double.random(in: 0..<1)),
                        errorClass: classified.errorClass, message: context.pipeline.redact(classified.message))
        }
        let ids = self.ids
        do {
            return try await session.withConnection { conn in
                try Store.commit(conn, target: target, batches: claim.batches, token: claim.token, completions: [], failures: all, ids: ids.pool)
            }
        } catch {
            await giveBack(claim.token)
            throw error
        }
    }

    /// Gives a claim's batches back untouched. If that fails (the connection is gone), the
    /// token is kept as a lost claim: given back on the next connection, or when the process
    /// leaves the run, never left to expire (an expired lease uses an attempt).
    private func giveBack(_ token: UUID) async {
        do {
            try await session.withConnection { _ = try Store.releaseLeases($0, tokens: [token]) }
        } catch {
            context.recordLostClaim(token, of: index)
        }
    }

    private func commitTarget(stage s: Int) -> CommitTarget {
        let stage = stages[s]
        let next = s + 1 < stages.count ? stages[s + 1] : nil
        return CommitTarget(
            runID: context.run.id, stage: stage.name, stageHash: stage.definitionHash, nextStage: next?.name,
            nextMaxAttempts: next?.retry.maxAttempts ?? 1, nextBatchSize: next?.batchSize ?? 1,
            writesResults: next == nil && stage.transform.writesResultsWhenLast, worker: name, retry: stage.retry
        )
    }

    private enum Outcome: Sendable {
        case completed(ItemCompletion)
        case failed(ItemFailure)
        /// The stage cannot go on: give the item back untouched and stop the process.
        case halted(ClaimedItem, StageError)
        /// The process is stopping: give the item back untouched.
        case abandoned
        /// Not started because the process is stopping: give it back, commit the others.
        case unsent(ClaimedItem)
    }

    /// Runs the stage's transform on every item (up to the stage's concurrency at once across
    /// the process) and sorts the results into completions and failures.
    private func transform(_ batch: [ClaimedItem], stage s: Int) async -> ([ItemCompletion], [ItemFailure], [ClaimedItem], StageError?) {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        if stages[s].transformsInMemory {
            // CPU work of microseconds: one permit for the batch, item after item in this task
            // (a task and a permit per item cost more than the transform).
            outcomes = await context.limiters[s].withPermit {
                var done: [Outcome] = []
                done.reserveCapacity(batch.count)
                for item in batch {
                    if context.controller.isAborting { break }
                    done.append(await process(item, stage: s, holdingPermit: true))
                }
                return done
            }
        } else if let batched = stages[s].transform as? any BatchTransform, batched.processesBatches, stages[s].timeout == nil {
            // One call for the batch (even of one item: the stage's cap holds across all of
            // its requests); the transform keeps to the stage's concurrency itself.
            let controller = context.controller
            let results = await batched.process(batch: batch.map { input($0, stage: s) }, concurrency: stages[s].concurrency,
                                                stopping: { controller.isStopping })
            outcomes = batch.indices.map { index in
                // (An item the transform gave no outcome for fails and is retried, never dropped.)
                let result = index < results.count ? results[index]
                    : .failure(StageError.transient("stage \(stages[s].name) gave no outcome for item \(batch[index].key)", class: "error"))
                return outcome(batch[index], stage: s, result)
            }
        } else if stages[s].concurrency == 1 || batch.count == 1 {
            for item in batch {
                if context.controller.isAborting { break }
                outcomes.append(await process(item, stage: s))
            }
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
        var halted: [ClaimedItem] = []
        var halt: StageError?
        for outcome in outcomes {
            switch outcome {
            case .completed(let completion): completions.append(completion)
            case .failed(let failure): failures.append(failure)
            case .unsent(let item):
                failures.append(.givenBack(item, errorClass: "stopping", message: "not sent: the process was stopping"))
            case .halted(let item, let error):
                halted.append(item)
                halt = halt ?? error
            case .abandoned: break
            }
        }
        return (completions, failures, halted, halt)
    }

    /// Runs the fused stages after stage `s` (``Stage/runsInline``) on the claim's outputs, in
    /// memory, one stage after the other, for the same commit. An output its stage could not
    /// finish there (it failed, was cut short, fanned out past memory, or its key repeats or
    /// was chosen by the transform) stays a queued child, and its stage deals with it as
    /// usual. Nil when nothing ran inline.
    private func fuse(_ completions: [ItemCompletion], after s: Int, token: UUID) async -> Fusion? {
        guard s + 1 < stages.count, stages[s + 1].runsInline,
              completions.allSatisfy({ $0.spill == nil && !$0.outputsFromEffects }) else { return nil }
        var head = completions
        var parts: [Fusion.Part] = []
        var parents = completions
        var level = s
        while level + 1 < stages.count, stages[level + 1].runsInline, !context.controller.isAborting {
            let j = level + 1
            var items: [ClaimedItem] = []
            var keys = Set<ExactText>()
            for parent in parents {
                // A key the transform chose may repeat in another batch: the queue deduplicates it.
                for child in parent.children where !child.chosenKey {
                    guard keys.insert(ExactText(child.key)).inserted else { return Self.fusion(head, parts) }
                    // The stand-in of the item the queue would hold: the stored item the chain
                    // started from is its parent's (for lineage, children and results).
                    items.append(ClaimedItem(
                        id: parent.item.id, batchID: parent.item.batchID, key: child.key, payload: child.payload, attempt: 1,
                        maxAttempts: stages[j].retry.maxAttempts, parentID: parent.item.id, leaseToken: token
                    ))
                }
            }
            guard !items.isEmpty else { break }
            let (ran, _, _, _) = await transform(items, stage: j)
            var finished: [ExactText: ItemCompletion] = [:]
            for completion in ran where completion.spill == nil && !completion.outputsFromEffects {
                finished[ExactText(completion.item.key)] = completion
            }
            var inline: [ItemCompletion] = []
            for index in parents.indices {
                var queued: [ChildItem] = []
                for child in parents[index].children {
                    if !child.chosenKey, let completion = finished[ExactText(child.key)] {
                        inline.append(completion)
                        parents[index].fused += 1
                    } else {
                        queued.append(child)
                    }
                }
                parents[index].children = queued
            }
            if parts.isEmpty { head = parents } else { parts[parts.count - 1].completions = parents }
            guard !inline.isEmpty else { break }
            parts.append(Fusion.Part(stage: j, target: commitTarget(stage: j), completions: inline))
            parents = inline
            level = j
        }
        return Self.fusion(head, parts)
    }

    private static func fusion(_ head: [ItemCompletion], _ parts: [Fusion.Part]) -> Fusion? {
        parts.isEmpty ? nil : Fusion(head: head, parts: parts)
    }

    /// A jq stage's outputs, keyed as they come and spilled to a file past
    /// ``ChildSpill/memoryLimit``: memory stays flat whatever one item emits.
    private func streamed(_ jq: JQTransform, _ input: StageInput, item: ClaimedItem, stage s: Int) throws -> ItemCompletion {
        // The outputs of a last jq stage go to baton.results, keyed like children.
        let keys = s + 1 < stages.count ? context.keys[s + 1] : KeyDeriver(expression: nil)
        let spill = ChildSpill()
        var position = 0
        try jq.stream(input) { payload in
            try spill.append(ChildItem(key: try keys.key(parent: item.key, position: position, payload: payload), payload: payload))
            position += 1
        }
        if spill.isSpilled { return ItemCompletion(item: item, children: [], spill: spill) }
        return ItemCompletion(item: item, children: spill.inMemory)
    }

    /// Runs `body` under a permit of stage `s`'s limiter, unless the caller holds one.
    private func permitted<T: Sendable>(_ s: Int, _ held: Bool, _ body: () async throws -> T) async throws -> T {
        held ? try await body() : try await context.limiters[s].withPermit(body)
    }

    private func input(_ item: ClaimedItem, stage s: Int) -> StageInput {
        let stage = stages[s]
        return StageInput(
            itemID: item.id, key: item.key, payload: item.payload, attempt: item.attempt, maxAttempts: item.maxAttempts,
            runID: context.run.id, runName: context.run.name, stage: stage.name, timeout: stage.timeout
        )
    }

    private func process(_ item: ClaimedItem, stage s: Int, holdingPermit: Bool = false) async -> Outcome {
        let stage = stages[s]
        let input = input(item, stage: s)
        if let jq = stage.transform as? JQTransform {
            do {
                return .completed(try await permitted(s, holdingPermit) { try streamed(jq, input, item: item, stage: s) })
            } catch {
                return outcome(item, stage: s, .failure(error))
            }
        }
        let result: Result<StageOutput, any Error>
        do {
            result = .success(try await permitted(s, holdingPermit) {
                // jq enforces the stage's timeout itself (its programs cannot be cancelled).
                let outer = stage.transform is JQTransform ? nil : stage.timeout
                return try await ItemDeadline.run(outer, stage: stage.name, key: item.key) { try await stage.transform.process(input) }
            })
        } catch {
            result = .failure(error)
        }
        return outcome(item, stage: s, result)
    }

    /// What becomes of `item` given its transform's output or error: its children keyed for
    /// the next stage (or its results), or a failure classified for a retry.
    private func outcome(_ item: ClaimedItem, stage s: Int, _ result: Result<StageOutput, any Error>) -> Outcome {
        let stage = stages[s]
        let isLast = s + 1 == stages.count
        do {
            let output = try result.get()
            var children: [ChildItem] = []
            if !isLast || stage.transform.writesResultsWhenLast {
                children.reserveCapacity(output.outputs.count)
                let keys = isLast ? KeyDeriver(expression: nil) : context.keys[s + 1]
                for (position, out) in output.outputs.enumerated() {
                    let key = try out.key ?? keys.key(parent: item.key, position: position, payload: out.payload)
                    children.append(ChildItem(key: key, payload: out.payload, chosenKey: out.key != nil))
                }
            }
            return .completed(ItemCompletion(
                item: item, children: children, effects: output.effects,
                outputsFromEffects: output.outputsFromEffects && (!isLast || stage.transform.writesResultsWhenLast)
            ))
        } catch is CancellationError where context.controller.isAborting || Task.isCancelled {
            return .abandoned
        } catch {
            // (A CancellationError while nothing stops the process is the transform's own
            // error: an ordinary failure, retried, so the claim is neither lost nor retaken forever.)
            if context.controller.isAborting { return .abandoned }
            var classified = FailurePolicy.classify(error)
            if classified.haltsRun { return .halted(item, classified) }
            if classified.notStarted { return .unsent(item) }
            // Messages are stored and printed: never with a value that came from the environment.
            classified.message = context.pipeline.redact(classified.message)
            var delay = stage.retry.delay(afterAttempt: item.attempt, random: Double.random(in: 0..<1))
            if let requested = classified.retryAfter { delay = stage.retry.honouring(requested, over: delay) }
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

/// The worker's batch id reserve, used only on its session's thread.
private final class BatchIDPoolBox: @unchecked Sendable {
    /// `@unchecked Sendable`: touched only inside the worker's `session.withConnection`
    /// closures, which run one at a time on the session's thread.
    let pool = BatchIDPool()
}
