import ArgumentParser
import Baton

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

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        let record = try await RunReference.find(run, global: global)
        let key = self.key
        let items = try await global.withConnection { try Store.lineage($0, runID: record.id, key: key) }
        guard !items.isEmpty else {
            throw BatonError(.usage, "run \(record.name) has no item with key \(key)")
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
            out += "\(indent)  payload: \(item.payload.count > 300 ? String(item.payload.prefix(300)) + "…" : item.payload)\n"
        }
        print(Secrets.redact(out), terminator: "")
    }
}
