import BatonHTTP
import BatonJQ
import Foundation

/// The request templates of an `http` stage or source, compiled once: URL, query, headers
/// and body, rendered on a JSON input (the item, or a source's page variables).
struct HTTPRequestBuilder: Sendable {
    let config: HTTPStageConfig
    private let url: Template
    private let query: [(name: String, value: Template)]
    private let headers: [(name: String, value: Template)]
    private let jsonBody: JQProgramPool?
    private let rawBody: Template?
    /// The URL template's own text has `.` or `..` segments (its author's choice, left to libcurl).
    private let writesDotSegments: Bool

    /// `variables`: jq variables every template part and the body program may use (`$cursor`),
    /// taken from the fields of the same name of the input object.
    init(config: HTTPStageConfig, variables: [String] = []) throws {
        self.config = config
        url = try Template(config.url, variables: variables)
        writesDotSegments = Self.dotSegment(inPathOf: config.url.replacingOccurrences(of: #"\{\{.*?\}\}"#, with: "x", options: .regularExpression)) != nil
        query = try config.query.map { ($0.name, try Template($0.value, variables: variables)) }
        headers = try config.headers.map { ($0.name, try Template($0.value, variables: variables)) }
        switch config.body {
        case .json(let program):
            jsonBody = try JQProgramPool(Template.binding(variables, in: program))
            rawBody = nil
        case .raw(let template):
            jsonBody = nil
            rawBody = try Template(template, variables: variables)
        case nil:
            jsonBody = nil
            rawBody = nil
        }
    }

    var sendsBody: Bool { !["GET", "HEAD"].contains(config.method) }


    /// The first path segment of `url` that is `.` or `..`, if any (the path runs from the
    /// first `/` after `scheme://` to a `?` or `#`). A byte scan: it runs for every request,
    /// and the Character-by-Character version was 5 % of an http stage's CPU.
    static func dotSegment(inPathOf url: String) -> String? {
        var url = url
        return url.withUTF8 { bytes -> String? in
            let (slash, dot, query, fragment) = (UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "?"), UInt8(ascii: "#"))
            var index = 0
            while index + 2 < bytes.count, !(bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == slash && bytes[index + 2] == slash) {
                index += 1
            }
            guard index + 2 < bytes.count else { return nil }
            index += 3
            // The authority: no path if a query or a fragment comes first.
            while index < bytes.count, bytes[index] != slash {
                if bytes[index] == query || bytes[index] == fragment { return nil }
                index += 1
            }
            var segment = index + 1
            index += 1
            while index <= bytes.count {
                let byte = index < bytes.count ? bytes[index] : slash
                if byte == slash || byte == query || byte == fragment {
                    let length = index - segment
                    if length == 1 && bytes[segment] == dot { return "." }
                    if length == 2 && bytes[segment] == dot && bytes[segment + 1] == dot { return ".." }
                    if byte != slash || index == bytes.count { return nil }
                    segment = index + 1
                }
                index += 1
            }
            return nil
        }
    }

    /// The request for one input (JSON text). `extraQuery` is appended (encoded); `target`
    /// replaces the URL and query templates (a next-page URL). `label` starts error messages
    /// (`stage key`); `idempotencyKey` is sent with methods other than GET and HEAD.
    func request(for input: String, label: String, idempotencyKey: () -> String,
                 extraQuery: [(String, String)] = [], target: String? = nil) throws -> HTTPRequest {
        var address: String
        if let target {
            address = target
        } else {
            address = try url.render(input, encoding: .urlComponent)
            if let segment = Self.dotSegment(inPathOf: address), !writesDotSegments {
                // `.` and `..` are not escaped (unreserved): libcurl, and servers, resolve them,
                // and `/users/{{ .id }}/delete` with id `..` went to `/delete`.
                throw StageError.permanent("\(label): the URL's path gets the segment `\(segment)` from the item's values "
                    + "(\(config.url)): it would send the request to another resource; nothing was sent", class: "template")
            }
            if !query.isEmpty {
                let pairs = try query.map { name, value in
                    // A query value is data as a whole: its literal text is encoded too.
                    Template.percentEncode(name) + "=" + Template.percentEncode(try value.render(input, encoding: .none))
                }
                address += (address.utf8.contains(UInt8(ascii: "?")) ? "&" : "?") + pairs.joined(separator: "&")
            }
        }
        if !extraQuery.isEmpty {
            let pairs = extraQuery.map { Template.percentEncode($0.0) + "=" + Template.percentEncode($0.1) }
            address += (address.utf8.contains(UInt8(ascii: "?")) ? "&" : "?") + pairs.joined(separator: "&")
        }
        var request = HTTPRequest(method: config.method, url: address)
        request.headers = try headers.map { ($0.name, try $0.value.render(input, encoding: .none)) }
        func has(_ name: String) -> Bool { request.headers.contains { $0.0.lowercased() == name } }
        if !has("user-agent") { request.headers.append(("User-Agent", "baton/0.1")) }
        if let jsonBody {
            let outputs = try jsonBody.run(json: input)
            guard outputs.count == 1 else {
                throw StageError.permanent("\(label): the body program gave \(outputs.count) values, expected 1", class: "template")
            }
            request.body = Array(outputs[0].utf8)
            if !has("content-type") { request.headers.append(("Content-Type", "application/json")) }
        } else if let rawBody {
            request.body = Array(try rawBody.render(input, encoding: .none).utf8)
        }
        if sendsBody && !has("idempotency-key") {
            request.headers.append(("Idempotency-Key", idempotencyKey()))
        }
        request.timeout = config.timeout
        request.connectTimeout = config.connectTimeout
        request.maxRedirects = config.maxRedirects
        request.maxResponseBytes = config.maxResponseBytes
        request.insecure = config.insecure
        request.caFile = config.caFile
        switch config.httpVersion {
        case "1.1": request.httpVersion = .http1_1
        case "2": request.httpVersion = .http2
        default: break
        }
        return request
    }
}
