import Foundation
import Yams

/// The `http:` block of a stage → ``HTTPStageConfig``.
extension PipelineDecoder {
    func decodeHTTP(_ node: Node, _ path: String) -> HTTPStageConfig? {
        guard let http = fields(node, path, allowed: HTTPStageKind.keys, what: "a mapping of HTTP settings (url, method, headers…)") else {
            return nil
        }
        return decodeHTTPRequest(http)
    }

    /// The request settings of an `http` mapping (a stage's, or a source's with `variables`
    /// its templates may use). Keys the mapping does not have keep their defaults.
    func decodeHTTPRequest(_ http: MappingFields, variables: [String] = []) -> HTTPStageConfig? {
        let node = http.node
        let before = errors.count
        var config = HTTPStageConfig(url: "")
        if let urlNode = http["url"] {
            if let url = nonEmptyText(urlNode, http.path("url"), what: "a URL") {
                config.url = url
                if checkTemplate(url, urlNode, http.path("url"), variables: variables), !url.hasPrefix("{{") {
                    let lowered = url.lowercased()
                    if !lowered.hasPrefix("http://") && !lowered.hasPrefix("https://") {
                        report(urlNode, http.path("url"), "the URL must start with http:// or https://, found \(shown(urlNode))",
                               hint: "e.g. https://api.example.com/items/{{ .id }}")
                    }
                }
            }
        } else {
            report(node, http.path("url"), "missing required key `url`", hint: "e.g. url: \"https://api.example.com/items/{{ .id }}\"")
        }
        if let methodNode = http["method"], let method = text(methodNode, http.path("method"), what: "an HTTP method") {
            if HTTPStageKind.methods.contains(method.uppercased()) {
                config.method = method.uppercased()
            } else {
                report(methodNode, http.path("method"), "invalid value \(shown(methodNode))", hint: choiceHint(method.uppercased(), HTTPStageKind.methods))
            }
        }
        if let queryNode = http["query"] {
            config.query = templateMap(queryNode, http.path("query"), what: "query parameters (name: value)", variables: variables)
        }
        if let headersNode = http["headers"] {
            config.headers = templateMap(headersNode, http.path("headers"), what: "headers (Name: value)", headers: true, variables: variables)
        }
        if let bodyNode = http["body"] { config.body = decodeBody(bodyNode, http.path("body"), variables: variables) }
        if let node = http["response"] { config.response = choice(node, http.path("response"), HTTPStageConfig.ResponseFormat.self) ?? .json }
        if let node = http["into"] { config.into = nonEmptyText(node, http.path("into"), what: "a field name") }
        if let node = http["status_field"] { config.statusField = nonEmptyText(node, http.path("status_field"), what: "a field name") }
        if let node = http["keep_headers"] {
            config.keepHeaders = textList(node, http.path("keep_headers"), what: "header names").map { $0.lowercased() }
        }
        checkOutputFields(http, config)
        if let node = http["timeout"] { config.timeout = duration(node, http.path("timeout")) ?? config.timeout }
        if let node = http["connect_timeout"] { config.connectTimeout = duration(node, http.path("connect_timeout")) ?? config.connectTimeout }
        var written: [(key: String, set: HTTPStageConfig.StatusSet)] = []
        if let node = http["retry_on"], let set = statusSet(node, http.path("retry_on")) { config.retryOn = set; written.append(("retry_on", set)) }
        if let node = http["fail_on"], let set = statusSet(node, http.path("fail_on")) { config.failOn = set; written.append(("fail_on", set)) }
        if let node = http["success_on"], let set = statusSet(node, http.path("success_on")) { config.successOn = set; written.append(("success_on", set)) }
        checkStatusOverlaps(http, written)
        if let node = http["rate"] { config.rate = rate(node, http.path("rate")) }
        if let node = http["failure_budget"] { config.failureBudget = integer(node, http.path("failure_budget"), minimum: 1) }
        if let node = http["redact"] { config.redact = textList(node, http.path("redact"), what: "query parameter names") }
        if let node = http["insecure"] { config.insecure = boolean(node, http.path("insecure")) ?? false }
        if let node = http["ca_file"] { config.caFile = existingFile(node, http.path("ca_file"), what: "the CA file") }
        if let node = http["max_redirects"] { config.maxRedirects = integer(node, http.path("max_redirects"), minimum: 0) ?? config.maxRedirects }
        if let node = http["max_response_size"] { config.maxResponseBytes = byteSize(node, http.path("max_response_size")) ?? config.maxResponseBytes }
        if let node = http["http_version"], let version = text(node, http.path("http_version"), what: "an HTTP version") {
            if ["1.1", "2"].contains(version) {
                config.httpVersion = version
            } else {
                report(node, http.path("http_version"), "invalid value \(shown(node))", hint: "expected one of: \"1.1\", \"2\" (or leave it out to let curl choose)")
            }
        }
        guard errors.count == before, http["url"] != nil else { return nil }
        return config
    }

    /// `body: "text {{ .x }}"` (a template sent as is) or `body: { json: 'jq program' }`.
    private func decodeBody(_ node: Node, _ path: String, variables: [String]) -> HTTPStageConfig.Body? {
        if case .mapping = node {
            guard let body = fields(node, path, allowed: HTTPStageKind.bodyKeys, what: "{ json: 'jq program' }") else { return nil }
            guard let programNode = body["json"] else {
                report(node, body.path("json"), "missing required key `json`", hint: "e.g. body: { json: '{id, name}' }")
                return nil
            }
            guard let program = nonEmptyText(programNode, body.path("json"), what: "a jq program", interpolate: false),
                  compileJQ(program, programNode, body.path("json"), variables: variables) else { return nil }
            return .json(program: program)
        }
        guard case .scalar = node else {
            report(node, path, "expected a text template or { json: 'jq program' }, found \(describe(node))",
                   hint: "to send the item as JSON: body: { json: '.' }")
            return nil
        }
        guard let template = text(node, path, what: "a text template") else { return nil }
        guard checkTemplate(template, node, path, variables: variables) else { return nil }
        return .raw(template: template)
    }

    /// A mapping of names to templates (query parameters, headers), each template checked.
    private func templateMap(_ node: Node, _ path: String, what: String, headers: Bool = false, variables: [String]) -> [(name: String, value: String)] {
        guard let entries = map(node, path, what: what) else { return [] }
        var result: [(name: String, value: String)] = []
        for entry in entries {
            let fieldPath = FieldPath.child(path, entry.key)
            if headers && !PipelineDecoder.isHeaderName(entry.key) {
                report(entry.keyNode, fieldPath, "invalid header name `\(entry.key)`", hint: "header names are letters, digits and -, like X-Request-Id")
                continue
            }
            if let value = text(entry.value, fieldPath, what: "a value"), checkTemplate(value, entry.value, fieldPath, variables: variables) {
                result.append((entry.key, value))
            }
        }
        return result
    }

    /// Checks that the `{{ jq }}` parts of a template compile. The template may hold expanded
    /// environment values: what is shown of it is redacted.
    @discardableResult
    func checkTemplate(_ template: String, _ node: Node, _ path: String, variables: [String] = []) -> Bool {
        switch TemplateSyntax.pieces(of: template) {
        case .failure(.unclosed):
            report(node, path, "a `{{` is not closed by `}}`", hint: "write {{ jq expression }}, e.g. {{ .id }}")
            return false
        case .failure(.empty):
            report(node, path, "a `{{ }}` template part is empty", hint: "write {{ jq expression }}, e.g. {{ .id }}")
            return false
        case .success(let pieces):
            var valid = true
            let redactor = Redactor(secrets: secrets)
            let holdsEnvironmentValue = PipelineDecoder.hasReferenceInsideTemplatePart(node.scalar?.string ?? "")
            for case .expression(let program) in pieces {
                valid = compileJQ(program, node, path, what: "the template part `{{ \(redactor.redact(program)) }}`",
                                  holdsEnvironmentValue: holdsEnvironmentValue, variables: variables) && valid
            }
            return valid
        }
    }

    /// Whether a template as written has a `${…}` inside a `{{ }}` part (then jq compiles text
    /// taken from the environment). Unparseable templates count as yes.
    static func hasReferenceInsideTemplatePart(_ raw: String) -> Bool {
        guard EnvironmentInterpolator.needsExpansion(raw) else { return false }
        guard case .success(let pieces) = TemplateSyntax.pieces(of: raw) else { return true }
        return pieces.contains { piece in
            if case .expression(let program) = piece { return EnvironmentInterpolator.needsExpansion(program) }
            return false
        }
    }

    /// A list of texts (a single text counts as a list of one).
    private func textList(_ node: Node, _ path: String, what: String) -> [String] {
        guard let elements = sequence(node, path, what: what, allowSingle: true) else { return [] }
        let isList = if case .sequence = node { true } else { false }
        return elements.enumerated().compactMap { index, element in
            nonEmptyText(element, isList ? FieldPath.element(path, index) : path, what: "a name")
        }
    }

    /// A status named equally specifically in two of `retry_on`, `fail_on`, `success_on` as
    /// written (`503` in both, `5xx` in both): which one wins would be a guess, so it is an
    /// error (at the later key). A narrower mention inside a wider one is not: it wins
    /// (`fail_on: [4xx]` with `success_on: [409]`).
    private func checkStatusOverlaps(_ http: MappingFields, _ sets: [(key: String, set: HTTPStageConfig.StatusSet)]) {
        for (index, later) in sets.enumerated() {
            for earlier in sets[..<index] {
                let overlap = earlier.set.ambiguity(with: later.set)
                guard let first = overlap.first, let node = http[later.key], let earlierNode = http.keyNode(earlier.key) else { continue }
                let shown = overlap.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
                report(node, http.path(later.key),
                       "status\(overlap.count == 1 && first.count == 1 ? "" : "es") \(shown) \(overlap.count == 1 && first.count == 1 ? "is" : "are") in both `\(earlier.key)` (line \(line(of: earlierNode))) and `\(later.key)`",
                       hint: "name a status in one of retry_on, fail_on and success_on (a narrower mention, such as 503 inside 5xx, wins over a wider one)")
            }
        }
    }

    /// `[404, "4xx", "500-599"]`, or one of them alone.
    private func statusSet(_ node: Node, _ path: String) -> HTTPStageConfig.StatusSet? {
        guard let elements = sequence(node, path, what: "HTTP statuses", allowSingle: true) else { return nil }
        let isList = if case .sequence = node { true } else { false }
        var ranges: [ClosedRange<Int>] = []
        var valid = true
        for (index, element) in elements.enumerated() {
            let elementPath = isList ? FieldPath.element(path, index) : path
            guard let text = text(element, elementPath, what: "an HTTP status") else { valid = false; continue }
            if let range = HTTPStageConfig.StatusSet.parse(text) {
                ranges.append(range)
            } else {
                report(element, elementPath, "invalid HTTP status \(shown(element))",
                       hint: "write a status (404), a class (\"4xx\") or a range (\"500-599\"), from 100 to 599")
                valid = false
            }
        }
        return valid ? HTTPStageConfig.StatusSet(ranges) : nil
    }

    /// `50/s`, `10/m`, `100/h`, or a number of requests per second.
    private func rate(_ node: Node, _ path: String) -> Double? {
        let expected = "a rate like 50/s or 10/m"
        guard let value = scalar(node, path, expected: expected) else { return nil }
        var perSecond: Double?
        switch value.kind {
        case .int(let number): perSecond = Double(number)
        case .float(let number): perSecond = number
        default:
            let parts = value.text.replacingOccurrences(of: " ", with: "").split(separator: "/", omittingEmptySubsequences: false)
            let divisors: [Substring: Double] = ["s": 1, "m": 60, "h": 3600]
            if parts.count == 2, let count = Double(parts[0]), let divisor = divisors[parts[1]] {
                perSecond = count / divisor
            } else if value.isInterpolated {
                perSecond = Double(value.text)
            }
        }
        guard let perSecond, perSecond.isFinite, perSecond > 0 else {
            report(node, path, "expected \(expected) (more than 0), found \(shown(node))", hint: "requests per second (/s), minute (/m) or hour (/h); a bare number is per second")
            return nil
        }
        return perSecond
    }

    /// `10MiB`, `512KiB`, `1MB`, or a number of bytes.
    private func byteSize(_ node: Node, _ path: String) -> Int? {
        let expected = "a size like 10MiB, 512KiB or 1MB"
        guard let value = scalar(node, path, expected: expected) else { return nil }
        var bytes: Int?
        switch value.kind {
        case .int(let number): bytes = number >= 1 ? number : nil
        case .string: bytes = ByteSizeSyntax.parse(value.text)
        default: bytes = value.isInterpolated ? ByteSizeSyntax.parse(value.text) : nil
        }
        guard let bytes else {
            report(node, path, "expected \(expected), found \(shown(node))", hint: "units: B, KB, MB, GB (×1000), KiB, MiB, GiB (×1024); a bare number is bytes")
            return nil
        }
        return bytes
    }

    /// RFC 9110 token characters.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }
    }
}

extension PipelineDecoder {
    /// `into`, `status_field` and `keep_headers` (which writes `headers`) each set a member of
    /// the output: two of them naming the same member silently lost one of the values (the
    /// answer, the status or the headers). `into:` with `response: none` has no answer to set.
    fileprivate func checkOutputFields(_ http: MappingFields, _ config: HTTPStageConfig) {
        var taken: [(key: String, field: String)] = []
        if let into = config.into { taken.append(("into", into)) }
        if let status = config.statusField { taken.append(("status_field", status)) }
        if !config.keepHeaders.isEmpty { taken.append(("keep_headers", "headers")) }
        for (index, later) in taken.enumerated() {
            if let earlier = taken[..<index].first(where: { $0.field == later.field }) {
                report(http[later.key], http.path(later.key),
                       "`\(later.key)` writes the field `\(later.field)`, which `\(earlier.key)` writes too: one of the two values would be lost",
                       hint: "give them different field names")
            }
        }
        if config.into != nil, config.response == .none {
            report(http["into"], http.path("into"), "`into:` sets the answer into the item, but `response: none` keeps no answer",
                   hint: "leave out `into:`, or use `response: json` or `text`")
        }
    }
}
