import ArgumentParser
import Baton
import BatonJQ

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show one item's path through the stages: attempts, errors, outputs.",
        discussion: """
            KEY is an item key in any stage (a source key such as 42, or a derived one such as 42/0). \
            Shows the items it came from, the item, and everything produced from it.

            Example:
              baton explain nightly 42
            """
    )

    @Argument(help: "Run name or id.")
    var run: String

    @Argument(help: "Item key.")
    var key: String

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        let record = try await RunReference.find(run, global: global)
        let key = self.key
        let items = try await global.withConnection { try Store.lineage($0, runID: record.id, key: key) }
        guard !items.isEmpty else {
            if let now = try await global.withConnection({ try Store.rereadKey($0, runID: record.id, badRecordKey: key) }) {
                throw BatonError(.usage, "run \(record.name) has no item with key \(key) any more: the bad record was read again by a replay and is now item \(now) (baton explain \(record.name) \(now))")
            }
            if record.isSeedingInBulk {
                throw BatonError(.usage, "run \(record.name) is being seeded in bulk (`--seed-only`): its items can be seen once seeding ends; try again then")
            }
            throw BatonError(.usage, "run \(record.name) has no item with key \(key)"
                + " (items of fused stages are counted, not stored: explain the item they came from, e.g. the key before the last /)")
        }
        let fused = try await global.withConnection { try Store.fusedMembers($0, runID: record.id, items: items.map(\.id)) }
        if json {
            print(Secrets.redact(Self.json(items, run: record, key: key)))
            return
        }
        var out = "run \(record.name): item \(key)\n"
        let depth = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.parentID) })
        func level(_ id: Int64) -> Int {
            var n = 0
            var current = depth[id] ?? nil
            while let parent = current, depth[parent] != nil { n += 1; current = depth[parent] ?? nil }
            return n
        }
        for item in items {
            let indent = String(repeating: "  ", count: level(item.id))
            let marker = item.key == key ? " ◀" : ""
            out += "\n\(indent)[\(item.stage)] \(item.key): \(item.state) after \(item.attempt) of \(item.maxAttempts) attempt(s)\(marker)\n"
            if let claimed = item.claimedAt {
                out += "\(indent)  last claimed \(Format.timestamp(claimed)) by \(item.worker ?? "?")"
                if let finished = item.finishedAt { out += ", finished \(Format.timestamp(finished))" }
                out += "\n"
            }
            for attempt in item.attempts {
                out += "\(indent)  attempt \(attempt.attempt) \(attempt.outcome) at \(Format.timestamp(attempt.finishedAt)) on \(attempt.worker ?? "?")"
                if let error = attempt.error { out += ": \(error)" }
                out += "\n"
            }
            if let error = item.lastError, item.state == "failed", item.attempts.isEmpty { out += "\(indent)  error: \(error)\n" }
            if !item.children.isEmpty {
                out += "\(indent)  produced: " + item.children.map { "\($0.stage)/\($0.key) (\($0.state))" }.joined(separator: ", ") + "\n"
            }
            if let members = fused[item.id] {
                out += "\(indent)  ran fused in the same commit (counted, not stored): "
                    + members.map { "\($0.stage) ×\($0.count)" }.joined(separator: ", ") + "\n"
            }
            out += "\(indent)  payload: \(item.payload.count > 300 ? String(item.payload.prefix(300)) + "…" : item.payload)\n"
        }
        print(Secrets.redact(out), terminator: "")
    }

    static func json(_ items: [ItemHistory], run: RunRecord, key: String) -> String {
        JSON.object([("run", .string(run.name)), ("key", .string(key)), ("items", .array(items.map(json)))]).serialized
    }

    static func json(_ item: ItemHistory) -> JSON {
        let attempts: [JSON] = item.attempts.map(json)
        let children: [JSON] = item.children.map { child in
            JSON.object([("stage", .string(child.stage)), ("key", .string(child.key)), ("state", .string(child.state))])
        }
        let payload: JSON = (try? JSON(parsing: item.payload)) ?? .string(item.payload)
        var fields: [(String, JSON)] = [
            ("id", Format.json(item.id)), ("parent_id", item.parentID.map(Format.json) ?? .null), ("stage", .string(item.stage)),
            ("key", .string(item.key)), ("state", .string(item.state)), ("attempt", Format.json(item.attempt)),
            ("max_attempts", Format.json(item.maxAttempts)),
        ]
        fields += [
            ("worker", item.worker.map(JSON.string) ?? .null), ("created_at", Format.json(item.createdAt)),
            ("claimed_at", Format.json(item.claimedAt)), ("finished_at", Format.json(item.finishedAt)),
            ("last_error", item.lastError.map(JSON.string) ?? .null),
        ]
        fields += [("payload", payload), ("attempts", .array(attempts)), ("children", .array(children))]
        return .object(fields)
    }

    static func json(_ attempt: ItemHistory.Attempt) -> JSON {
        var fields: [(String, JSON)] = [
            ("attempt", Format.json(attempt.attempt)), ("outcome", .string(attempt.outcome)),
            ("worker", attempt.worker.map(JSON.string) ?? .null), ("started_at", Format.json(attempt.startedAt)),
        ]
        fields += [
            ("finished_at", Format.json(attempt.finishedAt)), ("error_class", attempt.errorClass.map(JSON.string) ?? .null),
            ("error", attempt.error.map(JSON.string) ?? .null),
        ]
        return .object(fields)
    }
}
