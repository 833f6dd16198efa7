import ArgumentParser
import Baton
import BatonPostgres
import Foundation
import Logging

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "A long-lived worker for the items of any running run (for many machines).",
        discussion: """
            Works every run in state `running`, with the pipeline stored with the run (or, with \
            --pipelines DIR, the file of the same pipeline name in DIR). Up to --max-runs runs are \
            worked at once (a slot each, oldest first), each with its own --workers workers (by \
            default its pipeline's `workers:`, else 4); runs started later are picked up within \
            --poll seconds. More running runs than slots share them by time slices: while a run \
            waits, a run that has held its slot for --slice yields it (no new claims; in-flight \
            items and the seed chunk being read commit; the run stays running) and goes to the back \
            of the queue, and the slot goes to the run that has waited longest. Postgres row locks \
            are the only coordination: start as many as you like, on as many machines as you like. \
            Stops on SIGINT/SIGTERM after in-flight items commit (a second signal abandons them).

            Examples:
              baton work
              baton work --pipelines pipelines/ --workers 8
              baton work --max-runs 2 --slice 2m
            """
    )

    @Option(help: "Folder of pipeline files to use instead of the definitions stored with the runs.")
    var pipelines: String?

    @Option(help: "Seconds between looks for new runs when idle.")
    var poll: Double = 1

    @Option(name: .customLong("max-runs"), help: "Runs worked at once (slots), each with its own --workers workers; more running runs share the slots by --slice.")
    var maxRuns: Int = 4

    @Option(help: ArgumentHelp(
        "While a running run waits for a slot, a run that has held its slot this long yields it and goes to the back of the queue (0s: never).",
        valueName: "duration"))
    var slice: String = "30s"

    @Flag(help: "Exit when no run is left instead of waiting for new ones.")
    var once = false

    @OptionGroup var display: RunDisplayOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard maxRuns >= 1 else { throw ValidationError("--max-runs must be at least 1") }
        guard DurationSyntax.parse(slice) != nil else {
            throw ValidationError("--slice: `\(slice)` is not a duration (e.g. 30s, 2m; 0s: never rotate)")
        }
    }

    /// How long a run holds its slot while others wait; nil: until it is done.
    private var sliceDuration: Duration? {
        DurationSyntax.parse(slice).flatMap { $0 > .zero ? $0 : nil }
    }

    func run() async throws {
        let logger = global.logger()
        let database = try global.database()
        let controller = RunController()
        let signals = SignalHandlers(controller: controller)
        defer { signals.cancel() }
        let metrics = try display.startMetrics(database: database)
        do {
            try await work(database: database, controller: controller, logger: logger)
        } catch {
            await metrics?.stop()
            throw error
        }
        await metrics?.stop()
    }

    /// Keeps up to `--max-runs` running runs worked at once, each with its own `--workers`
    /// workers, looking for new runs every `--poll` seconds; while runs wait for a slot, the
    /// runs that have held theirs for `--slice` yield them, the longest-held first, to the
    /// longest-waiting runs (a fair share: a long run does not starve the others). On a stop
    /// request every run drains, then this returns.
    private func work(database: ConnectionConfig, controller: RunController, logger: Logger) async throws {
        let slots = WorkSlots()
        let slice = sliceDuration
        try await withThrowingTaskGroup(of: Void.self) { group in
            while !controller.isStopping, slots.fatal == nil {
                let waiting = try await global.withConnection { conn -> [RunRecord] in
                    let waiting = slots.queue(try Store.isCurrent(conn) ? Store.activeRuns(conn) : [])
                    try Self.beatQueue(slots, conn)
                    return waiting
                }
                if waiting.isEmpty && slots.workingCount == 0 && once { break }
                for run in waiting.prefix(max(0, maxRuns - slots.workingCount)) {
                    guard let pipeline = load(run, slots: slots, logger: logger) else { continue }
                    var options = display.runOptions(for: pipeline, logger: logger)
                    // A worker also seeds when it can read the source (files must exist on this machine).
                    options.seed = pipeline.source.definition.isReadableHere
                    // One heartbeat row and one lease prefix per run this process works.
                    options.workerName = Self.workerName(run: run.id)
                    let runController = RunController()
                    slots.start(run, seedsHere: options.seed && !run.seedDone, controller: runController)
                    group.addTask {
                        defer { slots.finish(run.id) }
                        try await Self.work(run, pipeline: pipeline, database: database, options: options,
                                            controller: runController, slots: slots, logger: logger)
                    }
                }
                // Until the next look (sooner when a slot frees and a run waits, or a waiting
                // run's heartbeat is due): hand slots on.
                let deadline = ContinuousClock.now + .seconds(poll)
                while ContinuousClock.now < deadline && !controller.isStopping && slots.fatal == nil {
                    if slots.hasFreeSlotForWaiter(capacity: maxRuns) || slots.isQueueBeatDue(every: Self.queueBeat) { break }
                    if let slice {
                        for handover in slots.rotate(slice: slice, capacity: maxRuns) {
                            logger.notice("run \(handover.name) yields its slot to a waiting run after \(Int(handover.held.seconds))s",
                                          metadata: ["run.id": "\(handover.id)"])
                        }
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            // Stop requests reach every run's controller (the second one aborts them too).
            while slots.workingCount > 0 {
                slots.forward(controller)
                try await Task.sleep(for: .milliseconds(50))
            }
            try await group.waitForAll()
        }
        let queued = slots.endQueueBeats()
        if !queued.isEmpty {
            _ = try? await global.withConnection { conn in
                for id in queued { try Store.removeWorker(conn, name: Self.workerName(run: id)) }
            }
        }
        if let fatal = slots.fatal { throw fatal }
        // With --once, a run skipped or halted is work left undone: its error's exit code
        // (78 for a definition that does not prepare, 69 for a halted stage…), as `baton run`.
        if once, let undone = slots.firstUndone { throw undone }
        // A stop (SIGINT, SIGTERM) leaves the runs still running undone: 130 or 75, as `baton
        // run` and `baton resume` give, not 0. (A stop whose runs all ended meanwhile is 0.)
        if once, controller.isStopping {
            let left = try? await global.withConnection { conn in try Store.isCurrent(conn) ? Store.activeRuns(conn).count : 0 }
            if left ?? 1 > 0 {
                throw ExitCode(BatonExit(stoppedBy: controller.stopReason).rawValue)
            }
        }
    }

    /// How long a run a stage halted is left alone before this process works it again.
    static let haltCooldown = Duration.seconds(60)

    /// How often the heartbeat rows of waiting runs are refreshed (as often as a worked run's).
    private static let queueBeat = Duration.seconds(Store.workerBeatSeconds)

    /// The name of this process's heartbeat row and lease prefix for run `id`.
    private static func workerName(run id: Int64) -> String { RunOptions.defaultWorkerName() + "@r\(id)" }

    /// Refreshes the heartbeat rows of the runs waiting in this process's queue, and removes
    /// those of runs that left it without a slot.
    private static func beatQueue(_ slots: WorkSlots, _ conn: Connection) throws {
        let (beat, remove) = slots.queueBeats(every: queueBeat)
        let (pid, host) = (ProcessInfo.processInfo.processIdentifier, ProcessInfo.processInfo.hostName)
        for id in beat { try Store.beatWorker(conn, name: workerName(run: id), runID: id, pid: pid, host: host) }
        for id in remove { try Store.removeWorker(conn, name: workerName(run: id)) }
    }

    private func load(_ run: RunRecord, slots: WorkSlots, logger: Logger) -> Pipeline? {
        do {
            let pipeline = try loadPipeline(for: run)
            Secrets.register(pipeline.secrets)
            return pipeline
        } catch {
            logger.error("cannot load the pipeline of run \(run.name); skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
            slots.skip(run.id, because: error)
            return nil
        }
    }

    /// Works one run until it is complete, it yields its slot or this process stops; a run
    /// this process cannot work (its SQL does not prepare, its definition is refused) is
    /// skipped from then on.
    private static func work(_ run: RunRecord, pipeline: Pipeline, database: ConnectionConfig, options: RunOptions,
                             controller: RunController, slots: WorkSlots, logger: Logger) async throws {
        logger.notice("working run \(run.name) of pipeline \(run.pipeline)", metadata: ["run.id": "\(run.id)"])
        do {
            let report = try await RunEngine.work(pipeline, run: run, database: database, options: options, controller: controller)
            if report.run.state == .running && controller.isYielding {
                logger.notice("run \(run.name) yielded its slot: still running, back in the queue", metadata: ["run.id": "\(run.id)"])
            } else {
                logger.notice("run \(run.name) is \(report.run.state.rawValue)", metadata: ["run.id": "\(run.id)"])
            }
        } catch let error as PipelineErrors {
            // A statement the database refuses: no use working the run with this definition.
            logger.error("the SQL of run \(run.name) does not prepare; skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
            slots.skip(run.id, because: error)
        } catch let error as BatonError where [.config, .usage, .data].contains(error.category) {
            // The run cannot go on as it is (its definition is refused, its source changed
            // under it): the other runs go on.
            logger.error("cannot work run \(run.name); skipping it", metadata: ["run.id": "\(run.id)", "error": "\(error.message)"])
            slots.skip(run.id, because: error)
        } catch let error as BatonError where error.isStageHalt {
            // This run's service looks down: the other runs go on; this one is tried again later.
            logger.error("run \(run.name) halted: \(error.message); trying it again in \(Int(haltCooldown.seconds))s",
                         metadata: ["run.id": "\(run.id)"])
            slots.setAside(run.id, for: haltCooldown, halt: error)
        } catch {
            // The database is gone for good (past the reconnect budget): every run stops.
            slots.failAll(error)
        }
    }

    private func loadPipeline(for run: RunRecord) throws -> Pipeline {
        if let pipelines {
            for ext in ["yaml", "yml", "json"] {
                let path = "\(pipelines)/\(run.pipeline).\(ext)"
                if FileManager.default.fileExists(atPath: path) { return try PipelineLoader.load(path: path) }
            }
        }
        return try RunReference.pipeline(for: run, file: nil)
    }
}
