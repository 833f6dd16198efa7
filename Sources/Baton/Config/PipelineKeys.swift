/// The keys a pipeline file may use at each level (see ``PipelineLoader`` for their meaning).
enum PipelineKeys {
    static let top = ["pipeline", "description", "setup", "defaults", "source", "stages"]
    static let defaults = ["retry", "concurrency", "batch_size", "lease", "backlog"]
    static let retry = ["max_attempts", "backoff", "initial", "max", "jitter"]
    static let sourceKinds = ["jsonl", "csv", "sql", "items"]
    static let source = sourceKinds + ["key", "on_error", "dedupe", "delimiter", "types", "database_url"]
    static let dedupe = ["window"]
    static let stageKinds = ["jq", "sql", "http", "exec"]
    static let stage = ["name"] + stageKinds + ["outputs", "key", "retry", "concurrency", "batch_size", "lease"]
    static let http = [
        "method", "url", "query", "headers", "body", "response", "into", "status_field", "keep_headers",
        "timeout", "connect_timeout", "retry_on", "fail_on", "success_on", "rate", "failure_budget", "redact",
        "insecure", "ca_file", "max_redirects", "max_response_size", "http_version",
    ]
    static let httpBody = ["json"]
    static let httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    static let exec = ["command", "timeout", "env", "fail_on_exit"]
    /// SQL parameters every item has, whatever its fields.
    static let sqlBuiltins = ["_key", "_run", "_run_id", "_stage", "_payload"]
}
