import Yams

/// `http: { url: … }`: one request per item.
enum HTTPStageKind: StageKind {
    static let key = "http"
    static let ownKeys: [String] = []
    static let example = "`http: { url: … }` to call a service"
    /// The keys of the `http:` mapping.
    static let keys = [
        "method", "url", "query", "headers", "body", "response", "into", "status_field", "keep_headers",
        "timeout", "connect_timeout", "retry_on", "fail_on", "success_on", "rate", "failure_budget", "redact",
        "insecure", "ca_file", "max_redirects", "max_response_size", "http_version",
    ]
    static let bodyKeys = ["json"]
    static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind? {
        let path = stage.path(key)
        guard let config = decoder.decodeHTTP(entry.value, path),
              let transform = decoder.build(entry.value, path, { try HTTPTransform(config: config) }) else { return nil }
        return DecodedStageKind(transform: transform)
    }
}
