/// `http:` as a source: pages of records fetched from an API, one page per chunk.
package struct HTTPSource: SourceDefinition {
    package var config: HTTPSourceConfig
    /// How a failed page request is retried.
    package var retry: RetryPolicy

    /// The retry policy of `http` sources that set none.
    package static let defaultRetry = RetryPolicy(maxAttempts: 5, backoff: .exponential, initial: .seconds(1), max: .seconds(60))

    package var kindName: String { "http" }
    package var displayName: String { "source \(config.request.method) \(HTTPOutcome.redactedURL(config.request.url, config.request))" }
    package var isCheckedBeforeSeeding: Bool { false }
    package var isReadableHere: Bool { true }

    /// The request (a hash: headers and URLs may hold secrets).
    package func identity() throws -> SourceIdentity {
        SourceIdentity(kind: kindName, size: 0, hash: StableHash.hex(config.request.fingerprint))
    }
    /// Pages are not addressable one record at a time.
    package var rereadsRecords: Bool { false }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader {
        try HTTPSourceReader(config: config, retry: retry, context: context)
    }
}

extension SourceSpec.Kind {
    /// Pages of records from an HTTP API (see ``HTTPSourceConfig``); failed page requests
    /// are retried with `retry` (default: 5 attempts, exponential from 1s to 1m).
    package static func http(_ config: HTTPSourceConfig, retry: RetryPolicy? = nil) -> SourceSpec.Kind {
        SourceSpec.Kind(HTTPSource(config: config, retry: retry ?? HTTPSource.defaultRetry))
    }
}
