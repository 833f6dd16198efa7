public import Foundation

/// Loads a pipeline file (YAML, or JSON) into a ``Pipeline``, validating it strictly and
/// reporting every problem at once (``PipelineErrors``), each with file:line:column, the
/// field's path and a hint.
///
/// ## The file
///
/// ```yaml
/// pipeline: orders          # required: letters, digits, _ and -, starting with a letter
/// description: text         # optional
/// defaults:                 # optional: settings of every stage that does not set its own
///   retry:                  # merged key by key with a stage's own `retry`
///     max_attempts: 3       # integer ≥ 1, the first attempt included (default 3)
///     backoff: exponential  # exponential | linear | fixed (default exponential)
///     initial: 1s           # delay before the 2nd attempt (default 1s; 0s allowed)
///     max: 5m               # longest delay, ≥ initial (default 5m)
///     jitter: 0.2           # 0…1, fraction of each delay randomised (default 0.2)
///   concurrency: 4          # integer ≥ 1: items in flight per stage (default: the kind's)
///   batch_size: 100         # integer ≥ 1: items claimed per transaction (default: the kind's)
///   lease: 30s              # how long a claim lasts without a heartbeat (default 30s)
///   backlog: 20000          # integer ≥ 1: pending items per stage before producers pause
/// source:                   # required, with exactly one of jsonl, csv, sql, http, items
///   jsonl: data/orders.jsonl    # a file of JSON values, one per line (`.gz`: decompressed);
///                               # a folder or glob (data/*.jsonl) is a file set: each file
///                               # read once per pipeline, again when changed
///   csv: data/orders.csv        # a CSV file (or folder, glob) with a header row, with optionally:
///   delimiter: ";"              #   one character (default ,)
///   types: { qty: integer }     #   column: string | integer | number | boolean | json
///   sql: select id, … from …    # a query; each row is an item, with optionally:
///   database_url: ${OTHER_DB}   #   another database (default: the run's)
///   http:                       # pages of records from an API: the http stage's request
///     url: https://api.example.com/items   # settings (no response/into/status_field/
///     query: { since: "{{ $cursor }}" }    # keep_headers/failure_budget), and:
///     records: .data            #   jq: a page's records (a single array output is unpacked)
///     paginate:                 #   exactly one of next_url: JQ | link_header: true |
///       next_url: .links.next   #   offset: PARAM | page: PARAM | cursor: JQ, with limit,
///       max_pages: 100          #   limit_param, start (offset, page), param (cursor),
///                               #   has_more: JQ, stop_on_empty: BOOL, max_pages: N
///   retry: { max_attempts: 5 }  #   http only: page retries (default 5, exponential 1s…1m)
///   incremental:                # sql and http: read from the cursor earlier runs committed
///     cursor: .updated_at       #   jq: each record's cursor value
///     initial: "2026-01-01T00:00:00Z"   # the first run's (a timestamp, a number, or text)
///     lookback: 1h              #   re-read a window (a duration, or a number for numbers);
///                               #   `:_cursor` in the query, `{{ $cursor }}` in templates
///   items: [ {id: 1}, {id: 2} ] # inline items (YAML values as JSON)
///   key: .id                    # jq expression: each item's identity (default: content hash)
///   on_error: fail              # fail | skip: what a malformed record does (default fail)
///   dedupe: { window: 24h }     # skip keys another run of this pipeline seeded within the window
/// stages:                   # required, a non-empty list, run in order
///   - name: shape           # required, unique: letters, digits, _ and -
///     jq: '{id, total}'     # exactly one of jq / sql / http / exec / swift
///     key: .sku             # optional jq expression: identity of the items entering the stage
///     retry: {…}            # optional, as under defaults (as are concurrency, batch_size, lease)
///   - name: load
///     sql: insert into t(id, total) values (:id, :total)   # :name binds a field (`:a.b` a path);
///                           # built-ins :_key :_run :_run_id :_stage :_payload
///     outputs: input        # sql stages only: input | returning | none (default input);
///                           # `returning` needs a RETURNING clause
///   - name: fetch
///     http:
///       method: GET         # GET POST PUT PATCH DELETE HEAD (default GET)
///       url: "https://api.example.com/items/{{ .id }}"   # required; {{ jq }} parts, URL-encoded
///       query: { page: "{{ .page }}" }                   # name: template
///       headers: { Authorization: "Bearer ${API_TOKEN}" } # name: template
///       body: "text {{ .x }}"    # a template sent as is, or { json: 'jq program' }
///       response: json      # json | text | none (default json)
///       into: details       # merge the response into the item under this field
///       status_field: status      # keep the status code under this field
///       keep_headers: [etag]      # response headers to keep
///       timeout: 30s        # default 30s
///       connect_timeout: 10s      # default 10s
///       retry_on: [408, 429, 5xx] # statuses: 404, "4xx", "500-599" (a list, or one)
///       fail_on: [4xx]      # statuses failing the item at once
///       success_on: [409]   # statuses counted as success besides 2xx
///       rate: 50/s          # N/s, N/m, N/h, or a number per second
///       failure_budget: 20  # integer ≥ 1: consecutive failures before the stage stops
///       redact: [api_key]   # query parameters hidden in messages
///       insecure: false     # skip TLS verification
///       ca_file: certs/ca.pem     # must exist
///       max_redirects: 5    # integer ≥ 0
///       max_response_size: 10MiB  # B, KB, MB, GB, KiB, MiB, GiB, or bytes
///       http_version: "1.1" # "1.1" | "2" (default: curl's choice)
///   - name: enrich
///     exec:
///       command: [python3, enrich.py]   # program and arguments; a string runs with /bin/sh -c
///       mode: once          # once (a process per item, default) | stream (long-lived children)
///       timeout: 60s        # default 60s; stream: per item
///       env: { MODE: fast } # extra environment variables
///       cwd: scripts        # the program's working directory (must exist)
///       fail_on_exit: [65]  # once only: exit codes failing the item at once (default [65])
///       start_timeout: 60s  # stream only: extra time for a new child's first answer
///       processes: 1        # stream only: children per process (1…256)
///       window: 64          # stream only: items written ahead of the answers (1…10000)
///   - name: score
///     swift: score          # a transform registered in ``SwiftStages`` by the loading program
/// ```
///
/// Durations are a number and a unit — `500ms`, `30s`, `5m`, `2h`, `1d` — or several
/// (`1m30s`); a bare number is an error. Stage indexes in field paths are 0-based
/// (`stages[0].http.url`).
///
/// Relative file paths (`jsonl`, `csv`, `ca_file`) are looked up in the current directory,
/// then next to the pipeline file; the stored path is absolute. A JSON file is the same
/// structure written as JSON (JSON is YAML).
///
/// ## Environment variables
///
/// Every text value (not keys) may use `${VAR}` (an error if VAR is not set), `${VAR:-default}`
/// (when VAR is unset or empty), `${VAR:?message}` (an error with that message when VAR is
/// unset or empty); `$${` is a literal `${`. After expansion an unquoted value is typed again,
/// so `concurrency: ${WORKERS}` works. Values taken from the environment are secrets
/// (``Pipeline/secrets``): no error message ever shows them. jq programs (`jq:`, `key:`,
/// `body: { json: … }`) are not expanded: `$` is jq syntax there, and jq reads the
/// environment itself (`$ENV.NAME`, `env.NAME`).
///
/// ## What is checked
///
/// YAML syntax, duplicate keys, unknown keys (with "did you mean"), missing required keys,
/// types and ranges, enumerated values, one kind per source and per stage, `outputs` only on
/// sql stages and `returning` only with a RETURNING clause, jq programs and `{{ }}` template
/// parts compile, files exist, `${VAR}` are set, one paginator with only its own settings,
/// `:_cursor` / `$cursor` used exactly by incremental sources, and SQL parameters name a field of the items
/// reaching the stage when those fields are known (a CSV header, inline items, or a previous
/// jq stage ending in an object construction such as `{id, stars, lang: .language}`). A glob
/// matching no file yet is a warning (``Pipeline/warnings``), not an error.
public enum PipelineLoader {
    /// Loads the pipeline file at `path`; throws ``PipelineErrors``. `swift: NAME` stages use
    /// the transforms registered in `swiftStages`; `${VAR}` references read `environment`.
    /// Relative paths in it are looked up from `currentDirectory` (default: the process's),
    /// then next to the file.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment, swiftStages: SwiftStages = SwiftStages(),
        currentDirectory: String? = nil
    ) throws -> Pipeline {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw PipelineErrors([PipelineError(
                file: path, line: 1, column: 1, field: "",
                message: isDirectory.boolValue ? "this is a directory, not a pipeline file" : "the pipeline file does not exist",
                hint: "check the path (relative paths start from the current directory)"
            )])
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineErrors([PipelineError(file: path, line: 1, column: 1, field: "", message: "cannot read the pipeline file as UTF-8 text",
                                                hint: "check its permissions and encoding")])
        }
        return try load(text: text, file: path, environment: environment, swiftStages: swiftStages, currentDirectory: currentDirectory)
    }

    /// Loads a pipeline from its text; `file` is used in messages, for ``Pipeline/file`` and
    /// to resolve relative paths (from `currentDirectory`, default the process's, then next
    /// to the file). Throws ``PipelineErrors``.
    public static func load(
        text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        swiftStages: SwiftStages = SwiftStages(), currentDirectory: String? = nil
    ) throws -> Pipeline {
        try load(text: text, file: file, environment: environment, swiftStages: swiftStages, currentDirectory: currentDirectory,
                 sourceFilesMayBeMissing: false)
    }

    /// ``load(text:file:environment:swiftStages:currentDirectory:)``; with
    /// `sourceFilesMayBeMissing` (`baton test`, which never reads the source) a `jsonl:` or
    /// `csv:` file that does not exist is not an error.
    package static func load(
        text: String, file: String, environment: [String: String], swiftStages: SwiftStages, currentDirectory: String?,
        sourceFilesMayBeMissing: Bool
    ) throws -> Pipeline {
        let document: YAMLDocument
        do {
            document = try YAMLDocument(parsing: text)
        } catch {
            throw PipelineErrors([PipelineError(file: file, line: error.position.line, column: error.position.column, field: "",
                                                message: error.message, hint: error.hint)])
        }
        let decoder = PipelineDecoder(file: file, document: document, environment: environment,
                                      currentDirectory: currentDirectory ?? FileManager.default.currentDirectoryPath,
                                      swiftStages: swiftStages)
        decoder.sourceFilesMayBeMissing = sourceFilesMayBeMissing
        let pipeline = decoder.decode(text: text)
        guard decoder.errors.isEmpty, let pipeline else {
            let redactor = Redactor(secrets: decoder.secrets)
            var errors = decoder.errors.map { error in
                var redacted = error
                redacted.message = redactor.redact(error.message)
                redacted.hint = error.hint.map(redactor.redact)
                return redacted
            }
            if errors.isEmpty {
                errors = [PipelineError(file: file, line: 1, column: 1, field: "", message: "the pipeline could not be built")]
            }
            throw PipelineErrors(errors)
        }
        return pipeline
    }
}
