import BatonJQ
import Foundation
import Yams

/// Reads and validates a test file, reporting every problem at once with file:line:column
/// (``PipelineErrors``), like pipeline files; the pipeline it names is loaded (and validated)
/// too.
///
/// ```yaml
/// pipeline: orders.yaml        # default: the test file's name without `.test`
/// env: { API_TOKEN: test }     # environment for the pipeline's ${VAR} (over the real one)
/// setup: insert into …         # SQL before every case, in its transaction (rolled back)
/// cases:
///   - name: emails are lower-cased
///     stage: normalise
///     input: {order_id: 1, email: " A@B.COM "}   # or inputs: [ … ]; key: the item key
///     setup: …                 # SQL before this case
///     http:                    # http stages: the responses, in order (no network)
///       - { method: GET, url: "https://…", status: 200, headers: {…}, body: {…} }  # or text: "…"
///     expect:
///       outputs: [ … ]         # exactly these outputs, in order
///       count: 1               # this many outputs
///       each: '.total > 0'     # jq, true for every output (or a list)
///       all: 'length == 1'     # jq, true for the array of outputs (or a list)
///       error: { class: jq, permanent: true, message: "text it contains" }
///       sql:                   # queries after the stage, in the case's transaction
///         - { query: "select …", rows: [ {…} ] }
/// ```
package enum PipelineTestLoader {
    static let topKeys = ["pipeline", "env", "setup", "cases"]
    static let caseKeys = ["name", "stage", "input", "inputs", "key", "setup", "http", "expect"]
    static let expectKeys = ["outputs", "count", "each", "all", "error", "sql"]
    static let errorKeys = ["class", "permanent", "message"]
    static let queryKeys = ["query", "rows"]
    static let responseKeys = ["method", "url", "status", "headers", "body", "text"]

    /// Test files are named `NAME.test.yaml` (or `.test.yml`, `.test.json`).
    package static func isTestFile(_ path: String) -> Bool {
        [".test.yaml", ".test.yml", ".test.json"].contains { path.hasSuffix($0) }
    }

    /// `orders.test.yaml` → `orders.yaml`.
    package static func pipelineFile(for testFile: String) -> String {
        for suffix in [".test.yaml", ".test.yml", ".test.json"] where testFile.hasSuffix(suffix) {
            return String(testFile.dropLast(suffix.count)) + "." + suffix.split(separator: ".").last!
        }
        return testFile
    }

    /// The test file for a pipeline file (`orders.yaml` → `orders.test.yaml`).
    package static func testFile(for pipelineFile: String) -> String {
        for ext in ["yaml", "yml", "json"] where pipelineFile.hasSuffix("." + ext) {
            return String(pipelineFile.dropLast(ext.count + 1)) + ".test." + ext
        }
        return pipelineFile + ".test.yaml"
    }

    package static func load(path: String, environment: [String: String], swiftStages: SwiftStages = SwiftStages()) throws -> PipelineTestSuite {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineErrors([PipelineError(file: path, line: 1, column: 1, field: "", message: "cannot read the test file",
                                                hint: "check the path and that it is UTF-8 text")])
        }
        let document: YAMLDocument
        do {
            document = try YAMLDocument(parsing: text)
        } catch {
            throw PipelineErrors([PipelineError(file: path, line: error.position.line, column: error.position.column, field: "",
                                                message: error.message, hint: error.hint)])
        }
        let decoder = PipelineDecoder(file: path, document: document, environment: environment,
                                      currentDirectory: FileManager.default.currentDirectoryPath, swiftStages: swiftStages)
        var pipelineErrors: [PipelineError] = []
        let suite = decode(decoder, environment: environment, swiftStages: swiftStages, pipelineErrors: &pipelineErrors)
        let redactor = Redactor(secrets: decoder.secrets)
        let errors = decoder.errors.map { error in
            var redacted = error
            redacted.message = redactor.redact(error.message)
            redacted.hint = error.hint.map(redactor.redact)
            return redacted
        }
        guard errors.isEmpty, pipelineErrors.isEmpty, let suite else {
            // The pipeline's own problems first, in its file's order, then the test file's.
            throw PipelineErrors(inOrder: PipelineErrors(pipelineErrors).errors + PipelineErrors(errors).errors)
        }
        return suite
    }

    private static func decode(
        _ decoder: PipelineDecoder, environment: [String: String], swiftStages: SwiftStages, pipelineErrors: inout [PipelineError]
    ) -> PipelineTestSuite? {
        guard let root = decoder.document.root else {
            decoder.report(nil, "", "the test file is empty", hint: "a test file has `cases:`, a list of { name, stage, input, expect }")
            return nil
        }
        // A key given twice is an error here too (once the first value won, silently, and a
        // case contradicting itself passed).
        decoder.reportDuplicateKeys(in: root, path: "")
        guard let top = decoder.fields(root, "", allowed: topKeys, what: "a test file (a mapping with cases)") else { return nil }

        var pipelineEnvironment = environment
        if let node = top["env"], let entries = decoder.map(node, "env", what: "environment variables (NAME: value)") {
            for entry in entries {
                if let value = decoder.text(entry.value, FieldPath.child("env", entry.key), what: "a value") {
                    pipelineEnvironment[entry.key] = value
                }
            }
        }
        var pipeline: Pipeline?
        var pipelinePath: String?
        if let node = top["pipeline"] {
            pipelinePath = decoder.existingFile(node, "pipeline", what: "the pipeline file")
        } else {
            let guess = pipelineFile(for: decoder.file)
            if guess != decoder.file, FileManager.default.fileExists(atPath: guess) {
                pipelinePath = guess
            } else {
                decoder.report(root, "pipeline", "no pipeline file `\(URL(fileURLWithPath: guess).lastPathComponent)` next to the test file",
                               hint: "name it: `pipeline: orders.yaml` (relative to the test file)")
            }
        }
        if let pipelinePath {
            do {
                // The source is never read by a test: its files need not exist from this folder.
                guard let data = FileManager.default.contents(atPath: pipelinePath), let text = String(data: data, encoding: .utf8) else {
                    throw PipelineErrors([PipelineError(file: pipelinePath, line: 1, column: 1, field: "", message: "cannot read the pipeline file as UTF-8 text",
                                                        hint: "check its permissions and encoding")])
                }
                pipeline = try PipelineLoader.load(text: text, file: pipelinePath, environment: pipelineEnvironment, swiftStages: swiftStages,
                                                   currentDirectory: nil, sourceFilesMayBeMissing: true)
            } catch let errors as PipelineErrors {
                pipelineErrors = errors.errors
            } catch {
                decoder.report(top["pipeline"] ?? root, "pipeline", "cannot load the pipeline: \(error)")
            }
        }
        let setup = top["setup"].map { sql(decoder, $0, "setup") } ?? []
        var cases: [PipelineTestCase] = []
        if let node = top["cases"], let elements = decoder.sequence(node, "cases", what: "test cases") {
            if elements.isEmpty { decoder.report(node, "cases", "the test file has no cases", hint: "add at least one { name, stage, input, expect }") }
            var names: [String: Int] = [:]
            for (index, element) in elements.enumerated() {
                if let testCase = decodeCase(decoder, element, FieldPath.element("cases", index), pipeline: pipeline, names: &names) {
                    cases.append(testCase)
                }
            }
        } else if top["cases"] == nil {
            decoder.report(root, "cases", "missing required key `cases`", hint: "a list of { name, stage, input, expect }")
        }
        guard let pipeline else { return nil }
        return PipelineTestSuite(file: decoder.file, pipeline: pipeline, setup: setup, cases: cases)
    }

    private static func decodeCase(
        _ decoder: PipelineDecoder, _ node: Node, _ path: String, pipeline: Pipeline?, names: inout [String: Int]
    ) -> PipelineTestCase? {
        let before = decoder.errors.count
        guard let fields = decoder.fields(node, path, allowed: caseKeys, what: "a test case (name, stage, input, expect)") else { return nil }
        var name: String?
        if let nameNode = fields["name"], let text = decoder.nonEmptyText(nameNode, fields.path("name"), what: "the case's name") {
            if let line = names[text] {
                decoder.report(nameNode, fields.path("name"), "the case name \(decoder.shown(nameNode)) is already used at line \(line)",
                               hint: "give each case its own name")
            } else {
                names[text] = decoder.line(of: nameNode)
                name = text
            }
        } else if fields["name"] == nil {
            decoder.report(node, fields.path("name"), "missing required key `name`", hint: "say what the case checks, e.g. `name: emails are lower-cased`")
        }

        var stage: Stage?
        if let stageNode = fields["stage"], let stageName = decoder.nonEmptyText(stageNode, fields.path("stage"), what: "a stage name") {
            if let pipeline {
                stage = pipeline.stage(named: stageName)
                if stage == nil {
                    let names = pipeline.stages.map(\.name)
                    let suggestion = KeySuggester.suggestion(for: stageName, among: names).map { "did you mean `\($0)`? " } ?? ""
                    decoder.report(stageNode, fields.path("stage"), "the pipeline has no stage \(decoder.shown(stageNode))",
                                   hint: "\(suggestion)stages: \(names.joined(separator: ", "))")
                }
            }
        } else if fields["stage"] == nil {
            decoder.report(node, fields.path("stage"), "missing required key `stage`", hint: "the stage the input items enter, e.g. `stage: normalise`")
        }

        let key = fields["key"].flatMap { decoder.nonEmptyText($0, fields.path("key"), what: "an item key") } ?? "test"
        var inputs: [PipelineTestCase.Input] = []
        switch (fields["input"], fields["inputs"]) {
        case (let input?, nil):
            if let value = decoder.json(input, fields.path("input")) { inputs = [.init(key: key, payload: value.serialized)] }
        case (nil, let list?):
            if let elements = decoder.sequence(list, fields.path("inputs"), what: "input items") {
                if elements.isEmpty { decoder.report(list, fields.path("inputs"), "the list of inputs is empty", hint: "give at least one item") }
                for (index, element) in elements.enumerated() {
                    if let value = decoder.json(element, FieldPath.element(fields.path("inputs"), index)) {
                        inputs.append(.init(key: "\(key)/\(index + 1)", payload: value.serialized))
                    }
                }
            }
        case (_?, _?):
            decoder.report(fields.keyNode("inputs"), fields.path("inputs"), "a case has `input` (one item) or `inputs` (a list), not both")
        case (nil, nil):
            decoder.report(node, fields.path("input"), "missing required key `input`", hint: "the item the stage gets, e.g. `input: {id: 1}` (or `inputs:` for several)")
        }

        let setup = fields["setup"].map { sql(decoder, $0, fields.path("setup")) } ?? []
        var responses: [PipelineTestCase.RecordedResponse]?
        if let httpNode = fields["http"] {
            if let stage, !(stage.transform is HTTPTransform) {
                decoder.report(fields.keyNode("http"), fields.path("http"),
                               "recorded responses apply to http stages; stage `\(stage.name)` is a \(stage.transform.kindName) stage",
                               hint: "remove `http:`")
            }
            responses = decodeResponses(decoder, httpNode, fields.path("http"))
        }

        var expectation = PipelineTestCase.Expectation()
        if let expectNode = fields["expect"] {
            expectation = decodeExpectation(decoder, expectNode, fields.path("expect"), inputs: inputs.count) ?? expectation
        } else {
            decoder.report(node, fields.path("expect"), "missing required key `expect`",
                           hint: "what must come out: outputs, count, each, all, error or sql")
        }
        guard decoder.errors.count == before, let name, let stage else { return nil }
        return PipelineTestCase(name: name, location: decoder.location(of: node), stage: stage.name, inputs: inputs, setup: setup,
                                responses: responses, expectation: expectation)
    }

    private static func decodeExpectation(_ decoder: PipelineDecoder, _ node: Node, _ path: String, inputs: Int) -> PipelineTestCase.Expectation? {
        guard let fields = decoder.fields(node, path, allowed: expectKeys, what: "expectations (outputs, count, each, all, error, sql)") else { return nil }
        var expectation = PipelineTestCase.Expectation()
        if fields.entries.isEmpty {
            decoder.report(node, path, "the case expects nothing", hint: "say what must come out: outputs, count, each, all, error or sql")
        }
        if let outputs = fields["outputs"], let elements = decoder.sequence(outputs, fields.path("outputs"), what: "output items") {
            var values: [JSON] = []
            for (index, element) in elements.enumerated() {
                if let value = decoder.json(element, FieldPath.element(fields.path("outputs"), index)) { values.append(value) }
            }
            expectation.outputs = values
        }
        if let count = fields["count"] { expectation.count = decoder.integer(count, fields.path("count"), minimum: 0) }
        if let each = fields["each"] { expectation.each = predicates(decoder, each, fields.path("each")) }
        if let all = fields["all"] { expectation.all = predicates(decoder, all, fields.path("all")) }
        if let errorNode = fields["error"] {
            for key in ["outputs", "count", "each", "all"] where fields.contains(key) {
                decoder.report(fields.keyNode(key), fields.path(key), "a case expecting an error has no outputs to check",
                               hint: "remove `\(key)`, or `error`")
            }
            if inputs > 1 {
                decoder.report(fields.keyNode("error"), fields.path("error"), "a case expecting an error has one input",
                               hint: "split the inputs into cases of their own")
            }
            if let error = decoder.fields(errorNode, fields.path("error"), allowed: errorKeys, what: "the expected error (class, permanent, message)") {
                expectation.error = PipelineTestCase.ExpectedError(
                    errorClass: error["class"].flatMap { decoder.nonEmptyText($0, error.path("class"), what: "an error class") },
                    permanent: error["permanent"].flatMap { decoder.boolean($0, error.path("permanent")) },
                    message: error["message"].flatMap { decoder.nonEmptyText($0, error.path("message"), what: "text of the message") }
                )
            }
        }
        if let queriesNode = fields["sql"], let elements = decoder.sequence(queriesNode, fields.path("sql"), what: "queries with their rows") {
            for (index, element) in elements.enumerated() {
                let elementPath = FieldPath.element(fields.path("sql"), index)
                guard let query = decoder.fields(element, elementPath, allowed: queryKeys, what: "{ query: SELECT …, rows: [ … ] }") else { continue }
                guard let sqlNode = query["query"], let sql = decoder.nonEmptyText(sqlNode, query.path("query"), what: "a query") else {
                    if query["query"] == nil { decoder.report(element, query.path("query"), "missing required key `query`", hint: "a SELECT whose rows are checked") }
                    continue
                }
                guard let rowsNode = query["rows"], let rows = decoder.sequence(rowsNode, query.path("rows"), what: "rows (one mapping per row)") else {
                    if query["rows"] == nil { decoder.report(element, query.path("rows"), "missing required key `rows`", hint: "the rows, e.g. rows: [{id: 1, total: 12.5}]") }
                    continue
                }
                let values = rows.enumerated().compactMap { decoder.json($1, FieldPath.element(query.path("rows"), $0)) }
                expectation.queries.append(PipelineTestCase.QueryCheck(sql: sql, rows: values, location: decoder.location(of: element)))
            }
        }
        return expectation
    }

    private static func decodeResponses(_ decoder: PipelineDecoder, _ node: Node, _ path: String) -> [PipelineTestCase.RecordedResponse] {
        guard let elements = decoder.sequence(node, path, what: "recorded responses") else { return [] }
        var responses: [PipelineTestCase.RecordedResponse] = []
        for (index, element) in elements.enumerated() {
            let elementPath = FieldPath.element(path, index)
            guard let fields = decoder.fields(element, elementPath, allowed: responseKeys, what: "a response (status, headers, body)") else { continue }
            var response = PipelineTestCase.RecordedResponse(method: nil, url: nil, status: 200, headers: [], body: [],
                                                             location: decoder.location(of: element))
            response.method = fields["method"].flatMap { decoder.nonEmptyText($0, fields.path("method"), what: "an HTTP method") }?.uppercased()
            response.url = fields["url"].flatMap { decoder.nonEmptyText($0, fields.path("url"), what: "a URL") }
            if let status = fields["status"] { response.status = decoder.integer(status, fields.path("status"), minimum: 100, maximum: 599) ?? 200 }
            if let headers = fields["headers"], let entries = decoder.map(headers, fields.path("headers"), what: "headers (name: value)") {
                for entry in entries {
                    if let value = decoder.text(entry.value, FieldPath.child(fields.path("headers"), entry.key), what: "a header value") {
                        response.headers.append((entry.key.lowercased(), value))
                    }
                }
            }
            switch (fields["body"], fields["text"]) {
            case (let body?, nil):
                if let value = decoder.json(body, fields.path("body")) { response.body = Array(value.serialized.utf8) }
            case (nil, let text?):
                if let value = decoder.text(text, fields.path("text"), what: "the body as text") { response.body = Array(value.utf8) }
            case (_?, _?):
                decoder.report(fields.keyNode("text"), fields.path("text"), "a response has `body` (JSON) or `text`, not both")
            case (nil, nil):
                break
            }
            responses.append(response)
        }
        return responses
    }

    /// A jq program or a list of them, each compiled.
    private static func predicates(_ decoder: PipelineDecoder, _ node: Node, _ path: String) -> [PipelineTestCase.Predicate] {
        guard let elements = decoder.sequence(node, path, what: "jq conditions", allowSingle: true) else { return [] }
        let isList = if case .sequence = node { true } else { false }
        return elements.enumerated().compactMap { index, element in
            let elementPath = isList ? FieldPath.element(path, index) : path
            guard let source = decoder.nonEmptyText(element, elementPath, what: "a jq condition", interpolate: false),
                  decoder.compileJQ(source, element, elementPath, what: "the condition"),
                  let pool = try? JQProgramPool(source) else { return nil }
            return PipelineTestCase.Predicate(source: source, program: pool)
        }
    }

    /// SQL text or a list of SQL texts.
    private static func sql(_ decoder: PipelineDecoder, _ node: Node, _ path: String) -> [String] {
        guard let statements = decoder.sequence(node, path, what: "SQL statements", allowSingle: true) else { return [] }
        let isList = if case .sequence = node { true } else { false }
        return statements.enumerated().compactMap { index, statement in
            decoder.nonEmptyText(statement, isList ? FieldPath.element(path, index) : path, what: "SQL")
        }
    }
}
