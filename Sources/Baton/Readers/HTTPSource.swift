/// `http:` as a source: pages of records fetched from an API, one page per chunk.
package struct HTTPSource: SourceDefinition {
    package var config: HTTPSourceConfig
    /// How a failed page request is retried.
    package var retry: RetryPolicy

    package var kindName: String { "http" }
    package var displayName: String { "source \(config.request.method) \(HTTPOutcome.redactedURL(config.request.url, config.request))" }
    package var isCheckedBeforeSeeding: Bool { false }
    package var isReadableHere: Bool { true }

    package func makeReader(_ context: SourceReaderContext) throws -> any SourceReader {
        try HTTPSourceReader(config: config, retry: retry, context: context)
    }
}

extension SourceSpec.Kind {
    /// Pages of records from an HTTP API (see ``HTTPSourceConfig``); failed requests are
    /// retried with the source's ``SourceSpec/retry`` policy.
    public static func http(_ config: HTTPSourceConfig) -> SourceSpec.Kind {
        SourceSpec.Kind(HTTPSource(config: config, retry: SourceSpec.defaultRetry))
    }
}
