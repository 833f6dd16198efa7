/// Run settings of a stage as declared under `defaults:` or on the stage itself; nil means
/// "not set here". A stage's settings are its own, then the defaults', field by field (a
/// stage's `retry: { max_attempts: 5 }` keeps the default backoff).
struct StageSettings {
    var maxAttempts: Int?
    var backoff: RetryPolicy.Backoff?
    var initial: Duration?
    var maxDelay: Duration?
    var jitter: Double?
    var concurrency: Int?
    var batchSize: Int?
    var lease: Duration?
    /// How long one item may take in the stage's transform.
    var timeout: Duration?

    /// These settings, with `defaults` filling in what is not set.
    func over(_ defaults: StageSettings) -> StageSettings {
        StageSettings(
            maxAttempts: maxAttempts ?? defaults.maxAttempts,
            backoff: backoff ?? defaults.backoff,
            initial: initial ?? defaults.initial,
            maxDelay: maxDelay ?? defaults.maxDelay,
            jitter: jitter ?? defaults.jitter,
            concurrency: concurrency ?? defaults.concurrency,
            batchSize: batchSize ?? defaults.batchSize,
            lease: lease ?? defaults.lease,
            timeout: timeout ?? defaults.timeout
        )
    }

    /// The retry policy, with ``RetryPolicy``'s defaults for what is set nowhere.
    var retryPolicy: RetryPolicy {
        let standard = RetryPolicy()
        return RetryPolicy(
            maxAttempts: maxAttempts ?? standard.maxAttempts,
            backoff: backoff ?? standard.backoff,
            initial: initial ?? standard.initial,
            max: maxDelay ?? standard.max,
            jitter: jitter ?? standard.jitter
        )
    }
}
