/// The keys a pipeline file may use at each level (see ``PipelineLoader`` for their meaning).
enum PipelineKeys {
    static let top = ["pipeline", "description", "setup", "workers", "defaults", "source", "stages"]
    static let defaults = ["retry", "concurrency", "batch_size", "lease", "timeout", "backlog"]
    static let retry = ["max_attempts", "backoff", "initial", "max", "jitter"]
    /// Every source key: each kind's key and its own keys, and the common ones.
    static var source: [String] { SourceKinds.keys + ["key", "on_error", "dedupe"] + SourceKinds.owners.map(\.key) }
    static let dedupe = ["window"]
    static let incremental = ["cursor", "initial", "lookback"]
    /// The paginators of an http source (exactly one) and the settings they share or own.
    static let paginators = ["next_url", "link_header", "offset", "page", "cursor"]
    static var paginate: [String] { paginators + ["limit", "limit_param", "start", "param", "has_more", "stop_on_empty", "max_pages"] }
    /// The stage keys offered when no Swift stages are registered (the `baton` command).
    static var stage: [String] { stage(swift: false) }
    /// Every stage key: the common ones, each offered kind's key and the keys of its own.
    static func stage(swift: Bool) -> [String] {
        ["name"] + StageKinds.offered(swift: swift).map { $0.key } + StageKinds.ownKeys.map(\.key) + ["key", "retry", "concurrency", "batch_size", "lease", "timeout", "fuse"]
    }
    /// SQL parameters every item has, whatever its fields.
    static let sqlBuiltins = ["_key", "_run", "_run_id", "_stage", "_payload"]
}
