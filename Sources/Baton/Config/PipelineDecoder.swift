import BatonJQ
import Foundation
import Yams

/// Builds a ``Pipeline`` from a parsed pipeline file, collecting every problem on the way
/// instead of stopping at the first.
///
/// Each `decode…` method validates one part of the file, reports what is wrong with
/// ``report(_:_:_:hint:)`` and returns what it could build (nil when that part is unusable).
/// A pipeline is returned only if nothing was reported.
final class PipelineDecoder {
    let file: String
    let document: YAMLDocument
    let interpolator: EnvironmentInterpolator
    /// The pipeline file's folder: relative paths not found in the current directory are
    /// looked up there.
    let fileDirectory: String
    let currentDirectory: String
    /// For `baton test`, which never reads the source: a `jsonl:` or `csv:` file that does not
    /// exist (from this folder) is not an error.
    var sourceFilesMayBeMissing = false
    /// The Swift transforms `swift: NAME` stages may use.
    let swiftStages: SwiftStages
    private(set) var errors: [PipelineError] = []
    /// What is worth knowing but does not stop the pipeline (a glob matching no file yet).
    private(set) var warnings: [PipelineError] = []
    /// Values taken from the environment, in order of first use.
    private(set) var secrets: [String] = []
    /// The file's lines as Unicode scalars (set by ``decode(text:)``), for positions inside values.
    private(set) var sourceLines: [[Unicode.Scalar]] = []

    init(file: String, document: YAMLDocument, environment: [String: String], currentDirectory: String,
         swiftStages: SwiftStages = SwiftStages()) {
        self.file = file
        self.swiftStages = swiftStages
        self.document = document
        self.interpolator = EnvironmentInterpolator(environment: environment)
        self.currentDirectory = currentDirectory
        self.fileDirectory = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true))
            .deletingLastPathComponent().standardizedFileURL.path
    }

    /// Records a problem at `node`'s position (the start of the file if there is none).
    func report(_ node: Node?, _ field: String, _ message: String, hint: String? = nil) {
        let position = node.flatMap { document.position(of: $0) } ?? YAMLDocument.Position(line: 1, column: 1)
        // One error per line: fold line breaks a message may quote (jq's, a multi-line value).
        func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }
        errors.append(PipelineError(file: file, line: position.line, column: position.column, field: field,
                                    message: oneLine(message), hint: hint.map(oneLine)))
    }

    /// Records a warning at `node`'s position.
    func warn(_ node: Node?, _ field: String, _ message: String, hint: String? = nil) {
        let position = node.flatMap { document.position(of: $0) } ?? YAMLDocument.Position(line: 1, column: 1)
        warnings.append(PipelineError(file: file, line: position.line, column: position.column, field: field, message: message, hint: hint))
    }

    func addSecrets(_ values: [String]) {
        for value in values where !value.isEmpty && !secrets.contains(value) {
            secrets.append(value)
        }
    }

    /// Where `value` (the text of scalar `node`) sits in the file, character by character.
    func valueLocation(_ node: Node, _ field: String, value: String) -> ValueLocation {
        let start = document.position(of: node) ?? YAMLDocument.Position(line: 1, column: 1)
        // Duplicate keys shift columns in the parsed text; positions inside values are then not exact.
        let scalars = document.duplicates.isEmpty ? ValueLocator.positions(of: value, node: node, in: sourceLines) : nil
        return ValueLocation(file: file, field: field, start: ValueLocation.Position(line: start.line, column: start.column), scalars: scalars)
    }

    /// `file:line` of a node, for `Stage.location` and `SourceSpec.location`.
    func location(of node: Node) -> String {
        "\(file):\(document.position(of: node)?.line ?? 1)"
    }

    /// The whole pipeline; nil if anything was reported.
    func decode(text: String) -> Pipeline? {
        sourceLines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            Array(line.unicodeScalars.last == "\r" ? line.unicodeScalars.dropLast() : line.unicodeScalars[...])
        }
        guard let root = document.root else {
            report(nil, "", "the file is empty", hint: "a pipeline needs at least `pipeline: NAME`, `source:` and `stages:`")
            return nil
        }
        reportDuplicateKeys(in: root, path: "")
        guard case .mapping = root else {
            report(root, "", "a pipeline file must be a mapping with the keys pipeline, source and stages, found \(describe(root))",
                   hint: "start the file with `pipeline: NAME`")
            return nil
        }
        guard let top = fields(root, "", allowed: PipelineKeys.top, what: "a mapping") else { return nil }

        let name = pipelineName(in: top)
        let description = top["description"].flatMap { self.text($0, top.path("description")) }
        var setup: [String] = []
        var setupLocations: [ValueLocation] = []
        if let node = top["setup"], let statements = sequence(node, top.path("setup"), what: "SQL statements", allowSingle: true) {
            for (index, statement) in statements.enumerated() {
                let path = statements.count == 1 && node == statement ? top.path("setup") : "\(top.path("setup"))[\(index)]"
                guard let text = nonEmptyText(statement, path, what: "SQL") else { continue }
                setup.append(text)
                setupLocations.append(valueLocation(statement, path, value: text))
            }
        }
        let workers = top["workers"].flatMap { integer($0, top.path("workers"), minimum: 1) }
        var defaults = StageSettings()
        var backlog: Int?
        if let node = top["defaults"] {
            (defaults, backlog) = decodeDefaults(node, top.path("defaults"))
        }
        var source: SourceDraft?
        if let node = top["source"] {
            source = decodeSource(node, top.path("source"), declaredAt: top.keyNode("source") ?? node)
        } else {
            report(root, "source", "missing required key `source`", hint: "add where items come from, e.g. `source: { jsonl: data/orders.jsonl }` (kinds: jsonl, csv, sql, items)")
        }
        var stages: [StageDraft] = []
        if let node = top["stages"] {
            stages = decodeStages(node, top.path("stages"), defaults: defaults)
        } else {
            report(root, "stages", "missing required key `stages`", hint: "add a list of stages, e.g. `stages: [ { name: shape, jq: '.' } ]`")
        }
        checkSQLParameters(stages: stages, source: source)

        guard errors.isEmpty, let name, let spec = source?.spec else { return nil }
        let built = stages.compactMap(\.stage)
        guard built.count == stages.count, !built.isEmpty else { return nil }
        var pipeline = Pipeline(
            name: name, description: description, source: spec, stages: built, file: file, definitionText: text,
            definitionHash: StableHash.hex(text), backlogLimit: backlog ?? 20_000, secrets: secrets, setup: setup
        )
        pipeline.setupLocations = setupLocations
        pipeline.workers = workers
        let redactor = Redactor(secrets: secrets)
        pipeline.warnings = warnings.map { warning in
            var redacted = warning
            redacted.message = redactor.redact(warning.message)
            redacted.hint = warning.hint.map(redactor.redact)
            return redacted
        }
        return pipeline
    }

    private func pipelineName(in top: MappingFields) -> String? {
        guard let node = top["pipeline"] else {
            report(top.node, "pipeline", "missing required key `pipeline`", hint: "name the pipeline, e.g. `pipeline: orders` (letters, digits, _ and -, starting with a letter)")
            return nil
        }
        guard let name = text(node, "pipeline") else { return nil }
        guard PipelineDecoder.isName(name, requireLeadingLetter: true) else {
            report(node, "pipeline", "invalid pipeline name \(shown(node))", hint: "use letters, digits, _ and -, starting with a letter, e.g. orders-sync")
            return nil
        }
        return name
    }

    /// ASCII letters, digits, `_` and `-`; non-empty.
    static func isName(_ text: String, requireLeadingLetter: Bool) -> Bool {
        guard let first = text.first, !requireLeadingLetter || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// Reports every duplicate-key marker left by ``YAMLDocument``.
    func reportDuplicateKeys(in node: Node, path: String) {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                let keyText = key.scalar?.string ?? ""
                if let duplicate = document.duplicates[keyText] {
                    report(key, FieldPath.child(path, duplicate.name),
                           "duplicate key `\(duplicate.name)`: it is already set at line \(duplicate.first.line)",
                           hint: "a key may appear only once in a mapping; keep one of them")
                    continue
                }
                reportDuplicateKeys(in: value, path: FieldPath.child(path, keyText))
            }
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                reportDuplicateKeys(in: element, path: FieldPath.element(path, index))
            }
        case .scalar, .alias:
            break
        }
    }
}
