import ArgumentParser
import Baton
import BatonJQ
import BatonPostgres
import Foundation

/// `baton cursor show|set|reset PIPELINE`: what a pipeline remembers between runs.
struct CursorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cursor",
        abstract: "Show, set or reset what a pipeline remembers between runs.",
        discussion: """
            An incremental source (`incremental:`) keeps the highest cursor value its runs committed, \
            and the keys it seeded with their cursor values (a record read again with the same key and \
            cursor is skipped); a glob or folder source keeps the files it read. PIPELINE is a pipeline \
            name or a pipeline file.

            Examples:
              baton cursor show pipelines/tickets.yaml
              baton cursor set tickets 2026-03-01T00:00:00Z
              baton cursor reset tickets
            """,
        subcommands: [Show.self, Set.self, Reset.self]
    )

    /// A pipeline given by name or by file: the name, and the loaded pipeline for a file.
    struct Target {
        var name: String
        var pipeline: Pipeline?

        init(_ argument: String) throws {
            var isDirectory: ObjCBool = false
            let looksLikeFile = argument.contains("/") || [".yaml", ".yml", ".json"].contains { argument.hasSuffix($0) }
            if looksLikeFile || (FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) && !isDirectory.boolValue) {
                let pipeline = try PipelineLoader.load(path: argument)
                Secrets.register(pipeline.secrets)
                name = pipeline.name
                self.pipeline = pipeline
            } else {
                name = argument
                pipeline = nil
            }
        }

        var incremental: IncrementalSpec? { pipeline?.source.incremental }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print a pipeline's cursor, seen keys and remembered files.",
            discussion: """
                Examples:
                  baton cursor show tickets
                  baton cursor show pipelines/tickets.yaml --json
                """
        )

        @Argument(help: "Pipeline name or file.") var pipeline: String
        @Flag(help: "One JSON document on stdout.") var json = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            _ = global.logger()
            let target = try Target(pipeline)
            let name = target.name
            let named = target.pipeline == nil
            let (memory, unknown) = try await global.withConnection { conn -> (PipelineMemory, BatonError?) in
                guard try Store.isCurrent(conn) else {
                    return (PipelineMemory(cursor: nil, seenKeys: 0, files: 0), named ? CursorCommand.unknown(name, among: []) : nil)
                }
                return (try Store.memory(conn, pipeline: name), named ? try CursorCommand.unknownName(name, conn) : nil)
            }
            // Nothing stored under a name nobody used: maybe a typo; said on stderr, the report stays.
            if let unknown { LogSetup.message("note: \(unknown.message)") }
            let next = target.incremental.map { $0.start(from: memory.cursor?.kind == $0.kind ? memory.cursor?.value : nil) }
            if json {
                var cursor = JSON.null
                if let stored = memory.cursor {
                    let run: JSON = stored.runID.map { JSON.number(Double($0)) } ?? .null
                    cursor = JSON.object([
                        ("value", .string(stored.value)), ("kind", .string(stored.kind.rawValue)),
                        ("updated_at", .string(Format.timestamp(stored.updatedAt))), ("run_id", run),
                    ])
                }
                print(JSON.object([
                    ("pipeline", .string(name)), ("cursor", cursor), ("next_run_reads_from", next.map(JSON.string) ?? .null),
                    ("seen_keys", .number(Double(memory.seenKeys))), ("files", .number(Double(memory.files))),
                ]).serialized)
                return
            }
            print("pipeline   \(name)")
            if let stored = memory.cursor {
                let run = stored.runID.map { " by run id \($0)" } ?? " by `baton cursor set`"
                print("cursor     \(stored.value) (\(stored.kind.rawValue)), committed \(Format.timestamp(stored.updatedAt)) UTC\(run)")
            } else if target.pipeline != nil && target.incremental == nil {
                print("cursor     none: the source is not incremental")
            } else {
                print("cursor     none stored: the next run starts at `initial`\(target.incremental.map { " (\($0.initial))" } ?? "")")
            }
            if let next, let incremental = target.incremental {
                print("next run   reads from \(next)\(incremental.lookback.map { " (lookback \(CursorCommand.describe($0)))" } ?? "")")
            }
            print("seen keys  \(memory.seenKeys) (a record read again with the same key and cursor is skipped)")
            print("files      \(memory.files) remembered (read again only when changed)")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a pipeline's cursor (and forget its seen keys) to load again from a value.",
            discussion: """
                The next run reads from VALUE (minus the lookback): a backfill from that point. The keys \
                seen so far are forgotten, so the records read again are loaded again. Runs still running \
                keep the cursor they started with.

                Examples:
                  baton cursor set tickets 2026-03-01T00:00:00Z
                  baton cursor set pipelines/events.yaml 120000
                """
        )

        @Argument(help: "Pipeline name or file.") var pipeline: String
        @Argument(help: "The new cursor: a timestamp, a number or text (the pipeline's kind).") var value: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            _ = global.logger()
            let target = try Target(pipeline)
            let name = target.name
            let value = self.value
            let declared = target.incremental?.kind
            let (canonical, kind, running) = try await global.withConnection { conn -> (String, CursorKind, [String]) in
                try Store.migrate(conn)  // nothing written when up to date
                let stored = try Store.cursor(conn, pipeline: name)
                let kind = declared ?? stored?.kind ?? CursorCommand.inferKind(value)
                guard let canonical = CursorValue.canonical(value, kind: kind) else {
                    throw BatonError(.usage, "\(value) is not a \(kind.rawValue) (the cursor of pipeline \(name) is one)")
                }
                try Store.setCursor(conn, pipeline: name, value: canonical, kind: kind)
                return (canonical, kind, try Store.runningRuns(conn, pipeline: name))
            }
            print("cursor of pipeline \(name) set to \(canonical) (\(kind.rawValue)); seen keys forgotten: the next run reads from there")
            CursorCommand.noteRunning(running)
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset", abstract: "Forget a pipeline's cursor, seen keys and files: the next run reads everything again.",
            discussion: """
                The next run starts from the source's `initial` cursor and reads every file of a glob or \
                folder again (a backfill). Runs still running keep the cursor they started with.

                Example:
                  baton cursor reset tickets
                """
        )

        @Argument(help: "Pipeline name or file.") var pipeline: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            _ = global.logger()
            let target = try Target(pipeline)
            let name = target.name
            let named = target.pipeline == nil
            let (forgotten, running) = try await global.withConnection { conn -> (PipelineMemory, [String]) in
                try Store.migrate(conn)  // nothing written when up to date
                if named, let unknown = try CursorCommand.unknownName(name, conn) { throw unknown }
                return (try Store.resetCursor(conn, pipeline: name), try Store.runningRuns(conn, pipeline: name))
            }
            let cursor = forgotten.cursor.map { "the cursor (\($0.value))" } ?? "no cursor"
            print("pipeline \(name): forgot \(cursor), \(forgotten.seenKeys) seen key\(forgotten.seenKeys == 1 ? "" : "s") and \(forgotten.files) file\(forgotten.files == 1 ? "" : "s"); the next run starts from `initial` and reads every file again")
            CursorCommand.noteRunning(running)
        }
    }

    /// A pipeline given by name should be one this database knows (runs, cursor, keys or
    /// files); if not (a mistyped name?), the error saying so, with a suggestion.
    static func unknownName(_ name: String, _ conn: Connection) throws -> BatonError? {
        let known = try Store.pipelineNames(conn)
        return known.contains(name) ? nil : unknown(name, among: known)
    }

    static func unknown(_ name: String, among known: [String]) -> BatonError {
        let suggestion = KeySuggester.suggestion(for: name, among: known).map { " (did you mean `\($0)`?)" } ?? ""
        let list = known.isEmpty ? "" : "; pipelines: \(known.prefix(10).joined(separator: ", "))\(known.count > 10 ? ", …" : "")"
        return BatonError(.usage, "no pipeline named \(name) has run or stored a cursor in this database\(suggestion)\(list); "
            + "give the pipeline file to use its definition (baton cursor show pipelines/\(name).yaml)")
    }

    static func inferKind(_ value: String) -> CursorKind {
        if Double(value) != nil { return .number }
        return CursorValue.kind(ofInitial: value, isNumber: false)
    }

    static func noteRunning(_ runs: [String]) {
        guard !runs.isEmpty else { return }
        print("note: run\(runs.count == 1 ? "" : "s") \(runs.joined(separator: ", ")) of this pipeline \(runs.count == 1 ? "is" : "are") still running with the cursor \(runs.count == 1 ? "it" : "they") started with")
    }

    static func describe(_ lookback: IncrementalSpec.Lookback) -> String {
        switch lookback {
        case .duration(let duration):
            var left = Int64(duration.seconds.rounded())
            var text = ""
            for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where left >= size {
                text += "\(left / size)\(unit)"
                left %= size
            }
            return text.isEmpty ? "0s" : text
        case .amount(let amount): return CursorValue.format(amount)
        }
    }
}
