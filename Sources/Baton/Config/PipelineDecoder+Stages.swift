import Foundation
import Yams

/// `defaults:`, `stages:` and the settings they share.
extension PipelineDecoder {
    func decodeDefaults(_ node: Node, _ path: String) -> (settings: StageSettings, backlog: Int?) {
        guard let defaults = fields(node, path, allowed: PipelineKeys.defaults, what: "a mapping of stage settings") else {
            return (StageSettings(), nil)
        }
        let backlog = defaults["backlog"].flatMap { integer($0, defaults.path("backlog"), minimum: 1) }
        return (decodeSettings(defaults), backlog)
    }

    /// `retry`, `concurrency`, `batch_size` and `lease` of a stage or of `defaults:`.
    private func decodeSettings(_ fields: MappingFields) -> StageSettings {
        var settings = StageSettings()
        if let node = fields["retry"] { decodeRetry(node, fields.path("retry"), into: &settings) }
        settings.concurrency = fields["concurrency"].flatMap { integer($0, fields.path("concurrency"), minimum: 1) }
        settings.batchSize = fields["batch_size"].flatMap { integer($0, fields.path("batch_size"), minimum: 1) }
        settings.lease = fields["lease"].flatMap { duration($0, fields.path("lease")) }
        settings.timeout = fields["timeout"].flatMap { duration($0, fields.path("timeout")) }
        return settings
    }

    func decodeRetry(_ node: Node, _ path: String, into settings: inout StageSettings) {
        guard let retry = fields(node, path, allowed: PipelineKeys.retry, what: "a mapping of retry settings") else { return }
        settings.maxAttempts = retry["max_attempts"].flatMap { integer($0, retry.path("max_attempts"), minimum: 1) }
        settings.backoff = retry["backoff"].flatMap { choice($0, retry.path("backoff"), RetryPolicy.Backoff.self) }
        settings.initial = retry["initial"].flatMap { duration($0, retry.path("initial"), allowZero: true) }
        settings.maxDelay = retry["max"].flatMap { duration($0, retry.path("max")) }
        settings.jitter = retry["jitter"].flatMap { number($0, retry.path("jitter"), range: 0...1) }
        if let initial = settings.initial, let maxDelay = settings.maxDelay, let maxNode = retry["max"], let initialNode = retry["initial"],
           maxDelay < initial {
            report(maxNode, retry.path("max"), "the longest delay (\(shown(maxNode))) is shorter than the first one (\(shown(initialNode)))",
                   hint: "make `max` at least as long as `initial`")
        }
    }

    func decodeStages(_ node: Node, _ path: String, defaults: StageSettings) -> [StageDraft] {
        guard let elements = sequence(node, path, what: "stages") else { return [] }
        if elements.isEmpty {
            report(node, path, "the pipeline has no stages", hint: "add at least one, e.g. `- { name: shape, jq: '.' }`")
        }
        var seen: [String: Int] = [:]
        return elements.enumerated().map { index, element in
            decodeStage(element, FieldPath.element(path, index), defaults: defaults, seen: &seen)
        }
    }

    /// One stage; `seen` maps the names of earlier stages to their lines.
    private func decodeStage(_ node: Node, _ path: String, defaults: StageSettings, seen: inout [String: Int]) -> StageDraft {
        var draft = StageDraft(node: node, path: path)
        let before = errors.count
        let swift = !swiftStages.names.isEmpty
        guard let stage = fields(node, path, allowed: PipelineKeys.stage(swift: swift), unlisted: swift ? [] : [SwiftStageKind.key],
                                 what: "a stage (a mapping with a name and one of \(StageKinds.list(swift: swift)))") else { return draft }
        if let nameNode = stage["name"] {
            if let name = text(nameNode, stage.path("name")) {
                if !PipelineDecoder.isName(name, requireLeadingLetter: false) {
                    report(nameNode, stage.path("name"), "invalid stage name \(shown(nameNode))", hint: "use letters, digits, _ and -, e.g. load-orders")
                } else if let line = seen[name] {
                    report(nameNode, stage.path("name"), "stage name \(shown(nameNode)) is already used by the stage at line \(line)",
                           hint: "give each stage its own name")
                } else {
                    seen[name] = line(of: nameNode)
                    draft.name = name
                }
            }
        } else {
            report(node, stage.path("name"), "missing required key `name`", hint: "name the stage, e.g. `name: shape` (letters, digits, _ and -)")
        }

        let kinds = stage.entries.filter { StageKinds.kind(named: $0.key) != nil }
        if kinds.isEmpty {
            report(node, path, "the stage does nothing: it needs one of \(StageKinds.list(swift: swift))",
                   hint: "e.g. " + StageKinds.all.prefix(3).map { $0.example }.joined(separator: ", "))
        }
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                report(extra.keyNode, stage.path(extra.key),
                       "a stage does one thing, but this one has both `\(first.key)` (line \(line(of: first.keyNode))) and `\(extra.key)`",
                       hint: "split it into two stages, one after the other")
            }
        }
        for (key, owner) in StageKinds.ownKeys where stage.contains(key) && !kinds.contains(where: { $0.key == owner }) {
            report(stage.keyNode(key), stage.path(key), "`\(key)` applies only to \(owner) stages",
                   hint: "remove it: other stages pass on what they produce")
        }
        for entry in kinds {
            guard let kind = StageKinds.kind(named: entry.key) else { continue }
            // Every kind present is decoded, so all of its problems are reported at once.
            let decoded = kind.decode(entry, of: stage, by: self)
            if kinds.count == 1 { draft.decoded = decoded }
        }
        var key: String?
        if let keyNode = stage["key"],
           let program = nonEmptyText(keyNode, stage.path("key"), what: "a jq expression", interpolate: false),
           compileJQ(program, keyNode, stage.path("key"), what: "the key expression") {
            key = program
        }
        let settings = decodeSettings(stage).over(defaults)
        let fuse = stage["fuse"].flatMap { boolean($0, stage.path("fuse")) } ?? true

        guard errors.count == before, let name = draft.name, let transform = draft.decoded?.transform else { return draft }
        draft.stage = Stage(
            name: name, transform: transform, key: key, retry: settings.retryPolicy,
            concurrency: settings.concurrency, batchSize: settings.batchSize, lease: settings.lease ?? .seconds(30),
            timeout: settings.timeout,
            definitionHash: StableHash.hex(CanonicalYAML.text(of: node)), location: location(of: node)
        )
        draft.stage?.fuse = fuse
        return draft
    }

    func build(_ node: Node, _ path: String, _ make: () throws -> any StageTransform) -> (any StageTransform)? {
        do {
            return try make()
        } catch {
            report(node, path, "cannot set up the stage: \(error)")
            return nil
        }
    }
}
