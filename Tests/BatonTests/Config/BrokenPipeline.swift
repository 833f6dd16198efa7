import Testing

/// One broken pipeline file (under `Pipelines/broken/`) and every error it must produce, in
/// order, as `PipelineErrors.description` prints them (paths normalised, see
/// ``PipelineFixtures/normalized(_:)``).
struct BrokenPipeline: Sendable, CustomTestStringConvertible {
    let file: String
    let errors: [String]

    init(_ file: String, _ errors: [String]) {
        self.file = file
        self.errors = errors
    }

    var testDescription: String { file }

    static let all: [BrokenPipeline] = [
        BrokenPipeline("csv-options.yaml", [
            #"csv-options.yaml:4:14: source.delimiter: the delimiter must be one character (not a quote or a line break), found `;;` (hint: e.g. delimiter: ";" (a tab: delimiter: "\t"))"#,
            #"csv-options.yaml:5:30: source.types.age: invalid value `decimal` (hint: expected one of: string, integer, number, boolean, json)"#,
        ]),
        BrokenPipeline("csv-unknown-column.yaml", [
            #"csv-unknown-column.yaml:4:25: source.types.emial_address: column `emial_address` is not in the CSV header (hint: did you mean `email_address`? columns: id, name, email_address)"#,
            #"csv-unknown-column.yaml:5:3: source.database_url: `database_url` applies only to sql sources (hint: this source is csv; remove `database_url`)"#,
        ]),
        BrokenPipeline("duplicate-keys.yaml", [
            #"duplicate-keys.yaml:5:1: description: duplicate key `description`: it is already set at line 2 (hint: a key may appear only once in a mapping; keep one of them)"#,
            #"duplicate-keys.yaml:9:5: stages[0].name: duplicate key `name`: it is already set at line 7 (hint: a key may appear only once in a mapping; keep one of them)"#,
            #"duplicate-keys.yaml:10:35: stages[1].name: duplicate key `name`: it is already set at line 10 (hint: a key may appear only once in a mapping; keep one of them)"#,
        ]),
        BrokenPipeline("duplicate-stage-name.yaml", [
            #"duplicate-stage-name.yaml:9:11: stages[2].name: stage name `shape` is already used by the stage at line 5 (hint: give each stage its own name)"#,
        ]),
        BrokenPipeline("durations.yaml", [
            #"durations.yaml:3:10: defaults.lease: expected a duration like 30s, found `30` (hint: write 30s (units: ms, s, m, h, d; combined like 1m30s))"#,
            #"durations.yaml:6:21: source.dedupe.window: expected a duration like 30s, found `1 week` (hint: units: ms, s, m, h, d; combined like 1m30s)"#,
            #"durations.yaml:11:16: stages[0].http.timeout: expected a duration like 30s, found `10 seconds` (hint: units: ms, s, m, h, d; combined like 1m30s)"#,
            #"durations.yaml:12:24: stages[0].http.connect_timeout: the duration must be longer than 0, found `0s`"#,
            #"durations.yaml:13:23: stages[0].retry.initial: expected a duration like 30s, found `1.5` (hint: write 1.5s (units: ms, s, m, h, d; combined like 1m30s))"#,
        ]),
        BrokenPipeline("empty-stages.yaml", [
            #"empty-stages.yaml:4:9: stages: the pipeline has no stages (hint: add at least one, e.g. `- { name: shape, jq: '.' }`)"#,
        ]),
        BrokenPipeline("empty.yaml", [
            #"empty.yaml:1:1: the file is empty (hint: a pipeline needs at least `pipeline: NAME`, `source:` and `stages:`)"#,
        ]),
        BrokenPipeline("env-malformed.yaml", [
            #"env-malformed.yaml:2:14: description: `${1DOLLAR}` is not a valid environment reference (hint: write ${NAME}, ${NAME:-default} or ${NAME:?message} (NAME: letters, digits, _); for a literal ${ write $${)"#,
            #"env-malformed.yaml:2:14: description: `${OOPS` is not a valid environment reference (hint: write ${NAME}, ${NAME:-default} or ${NAME:?message} (NAME: letters, digits, _); for a literal ${ write $${)"#,
            #"env-malformed.yaml:4:11: source.items[0]: `${HOME-default}` is not a valid environment reference (hint: write ${NAME}, ${NAME:-default} or ${NAME:?message} (NAME: letters, digits, _); for a literal ${ write $${)"#,
        ]),
        BrokenPipeline("env-required.yaml", [
            #"env-required.yaml:4:17: source.database_url: environment variable ORDERS_DB is not set: set ORDERS_DB to the orders database URL (hint: set it before running: export ORDERS_DB=...)"#,
            #"env-required.yaml:9:10: stages[1].sql: environment variable REGION is not set (or empty) (hint: set it before running: export REGION=...)"#,
        ]),
        BrokenPipeline("env-unset.yaml", [
            #"env-unset.yaml:7:12: stages[0].http.url: environment variable API_HOST is not set (hint: set it before running (export API_HOST=...), or give a default: ${API_HOST:-value})"#,
            #"env-unset.yaml:9:24: stages[0].http.headers.Authorization: environment variable GITHUB_TOKEN is not set (hint: set it before running (export GITHUB_TOKEN=...), or give a default: ${GITHUB_TOKEN:-value})"#,
        ]),
        BrokenPipeline("exec-errors.yaml", [
            #"exec-errors.yaml:7:16: stages[0].exec.command: the command is empty (hint: e.g. command: [python3, scripts/enrich.py])"#,
            #"exec-errors.yaml:8:14: stages[0].exec.env.1MODE: invalid environment variable name `1MODE` (hint: use letters, digits and _, not starting with a digit)"#,
            #"exec-errors.yaml:8:34: stages[0].exec.env.LEVEL: expected a value, found a list"#,
            #"exec-errors.yaml:9:26: stages[0].exec.fail_on_exit[1]: expected an integer from 0 to 255, found `300`"#,
            #"exec-errors.yaml:12:7: stages[1].exec.command: missing required key `command` (hint: a program and its arguments, e.g. command: [python3, scripts/enrich.py])"#,
        ]),
        BrokenPipeline("exec-modes.yaml", [
            #"exec-modes.yaml:8:7: stages[0].exec.processes: `processes` applies to `mode: stream` only (hint: `mode: once` starts one process per item; `concurrency` sets how many at once)"#,
            #"exec-modes.yaml:9:7: stages[0].exec.window: `window` applies to `mode: stream` only (hint: `mode: once` writes one item per process)"#,
            #"exec-modes.yaml:10:7: stages[0].exec.start_timeout: `start_timeout` applies to `mode: stream` only (hint: `mode: once` has only `timeout`, which includes the program's start)"#,
            #"exec-modes.yaml:15:7: stages[1].exec.fail_on_exit: `fail_on_exit` applies to `mode: once` only (hint: a stream child reports a permanent failure by answering {"error": …, "permanent": true})"#,
            #"exec-modes.yaml:16:15: stages[1].exec.window: expected an integer from 1 to 10000, found `0`"#,
            #"exec-modes.yaml:17:12: stages[1].exec.cwd: the working directory `no-such-dir` does not exist (hint: relative paths are looked up in the current directory ($CWD), then next to the pipeline file ($DIR))"#,
            #"exec-modes.yaml:21:13: stages[2].exec.mode: invalid value `streaming` (hint: did you mean `stream`? expected one of: once, stream)"#,
        ]),
        BrokenPipeline("http-invalid-values.yaml", [
            #"http-invalid-values.yaml:7:15: stages[0].http.method: invalid value `FETCH` (hint: did you mean `PATCH`? expected one of: GET, POST, PUT, PATCH, DELETE, HEAD)"#,
            #"http-invalid-values.yaml:9:17: stages[0].http.response: invalid value `xml` (hint: expected one of: json, text, none)"#,
            #"http-invalid-values.yaml:10:23: stages[0].http.retry_on[1]: invalid HTTP status `600` (hint: write a status (404), a class ("4xx") or a range ("500-599"), from 100 to 599)"#,
            #"http-invalid-values.yaml:10:28: stages[0].http.retry_on[2]: invalid HTTP status `4xy` (hint: write a status (404), a class ("4xx") or a range ("500-599"), from 100 to 599)"#,
            #"http-invalid-values.yaml:12:13: stages[0].http.rate: expected a rate like 50/s or 10/m (more than 0), found `fast` (hint: requests per second (/s), minute (/m) or hour (/h); a bare number is per second)"#,
            #"http-invalid-values.yaml:13:26: stages[0].http.max_response_size: expected a size like 10MiB, 512KiB or 1MB, found `10 parsecs` (hint: units: B, KB, MB, GB (×1000), KiB, MiB, GiB (×1024); a bare number is bytes)"#,
            #"http-invalid-values.yaml:14:21: stages[0].http.http_version: invalid value `3` (hint: expected one of: "1.1", "2" (or leave it out to let curl choose))"#,
            #"http-invalid-values.yaml:15:17: stages[0].http.insecure: expected true or false, found `maybe`"#,
            #"http-invalid-values.yaml:16:21: stages[0].http.keep_headers: expected a list of header names, found a mapping (hint: write a list: [a, b] or one `- item` per line)"#,
        ]),
        BrokenPipeline("http-output-fields.yaml", [
            #"http-output-fields.yaml:9:21: stages[0].http.status_field: `status_field` writes the field `r`, which `into` writes too: one of the two values would be lost (hint: give them different field names)"#,
            #"http-output-fields.yaml:14:21: stages[1].http.keep_headers: `keep_headers` writes the field `headers`, which `into` writes too: one of the two values would be lost (hint: give them different field names)"#,
            #"http-output-fields.yaml:19:13: stages[2].http.into: `into:` sets the answer into the item, but `response: none` keeps no answer (hint: leave out `into:`, or use `response: json` or `text`)"#,
        ]),
        BrokenPipeline("http-missing-url.yaml", [
            #"http-missing-url.yaml:7:7: stages[0].http.url: missing required key `url` (hint: e.g. url: "https://api.example.com/items/{{ .id }}")"#,
            #"http-missing-url.yaml:9:11: stages[1].http: expected a mapping of HTTP settings (url, method, headers…), found `https://api.example.com/` (hint: valid keys here: method, url, query, headers, body, response, into, status_field, keep_headers, timeout, connect_timeout, retry_on, fail_on, success_on, rate, failure_budget, redact, insecure, ca_file, max_redirects, max_response_size, http_version)"#,
        ]),
        BrokenPipeline("http-templates.yaml", [
            #"http-templates.yaml:7:12: stages[0].http.url: the template part `{{ .id | }}` does not compile: syntax error, unexpected $end at <top-level>, line 1: .id | (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"http-templates.yaml:9:15: stages[0].http.query.page: a `{{` is not closed by `}}` (hint: write {{ jq expression }}, e.g. {{ .id }})"#,
            #"http-templates.yaml:10:12: stages[0].http.query.q: a `{{ }}` template part is empty (hint: write {{ jq expression }}, e.g. {{ .id }})"#,
            #"http-templates.yaml:13:9: stages[0].http.headers.Bad Header: invalid header name `Bad Header` (hint: header names are letters, digits and -, like X-Request-Id)"#,
            #"http-templates.yaml:14:21: stages[0].http.body.json: the jq program does not compile: syntax error, unexpected $end at <top-level>, line 1: {a: (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"http-templates.yaml:18:12: stages[1].http.url: the URL must start with http:// or https://, found `ftp://example.com/` (hint: e.g. https://api.example.com/items/{{ .id }})"#,
            #"http-templates.yaml:19:13: stages[1].http.body: expected a text template or { json: 'jq program' }, found a list (hint: to send the item as JSON: body: { json: '.' })"#,
        ]),
        BrokenPipeline("invalid-enum.yaml", [
            #"invalid-enum.yaml:4:13: source.on_error: invalid value `ignore` (hint: expected one of: fail, skip)"#,
            #"invalid-enum.yaml:8:23: stages[0].retry.backoff: invalid value `exponentail` (hint: did you mean `exponential`? expected one of: exponential, linear, fixed)"#,
            #"invalid-enum.yaml:11:14: stages[1].outputs: invalid value `everything` (hint: expected one of: input, returning, none)"#,
        ]),
        BrokenPipeline("invalid-pipeline-name.yaml", [
            #"invalid-pipeline-name.yaml:1:11: pipeline: invalid pipeline name `1st orders` (hint: use letters, digits, _ and -, starting with a letter, e.g. orders-sync)"#,
            #"invalid-pipeline-name.yaml:5:11: stages[0].name: invalid stage name `shape!` (hint: use letters, digits, _ and -, e.g. load-orders)"#,
        ]),
        BrokenPipeline("items-values.yaml", [
            #"items-values.yaml:4:22: source.items[0].ratio: `.inf` has no JSON equivalent (hint: write a finite number, or quote it to make it text)"#,
            #"items-values.yaml:5:29: source.items[1].tags[1].b: `.nan` has no JSON equivalent (hint: write a finite number, or quote it to make it text)"#,
        ]),
        BrokenPipeline("jq-compile-error.yaml", [
            #"jq-compile-error.yaml:6:9: stages[0].jq: the jq program does not compile: syntax error, unexpected $end at <top-level>, line 1: {id, (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"jq-compile-error.yaml:8:9: stages[1].jq: expected a jq program, found an empty text (hint: give a value or remove the key)"#,
        ]),
        BrokenPipeline("key-compile-error.yaml", [
            #"key-compile-error.yaml:4:8: source.key: the key expression does not compile: syntax error, unexpected $end at <top-level>, line 1: .id | (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"key-compile-error.yaml:8:10: stages[0].key: the key expression does not compile: syntax error, unexpected $end at <top-level>, line 1: [.sku (hint: see the jq manual: https://jqlang.org/manual/)"#,
        ]),
        BrokenPipeline("missing-files.yaml", [
            #"missing-files.yaml:3:10: source.jsonl: the JSONL file `data/no-such-file.jsonl` does not exist (hint: relative paths are looked up in the current directory ($CWD), then next to the pipeline file ($DIR))"#,
            #"missing-files.yaml:8:16: stages[0].http.ca_file: the CA file `/nonexistent/ca.pem` does not exist (hint: check the path)"#,
        ]),
        BrokenPipeline("missing-required.yaml", [
            #"missing-required.yaml:1:1: pipeline: missing required key `pipeline` (hint: name the pipeline, e.g. `pipeline: orders` (letters, digits, _ and -, starting with a letter))"#,
            #"missing-required.yaml:1:1: source: missing required key `source` (hint: add where items come from, e.g. `source: { jsonl: data/orders.jsonl }` (kinds: jsonl, csv, sql, items))"#,
            #"missing-required.yaml:1:1: stages: missing required key `stages` (hint: add a list of stages, e.g. `stages: [ { name: shape, jq: '.' } ]`)"#,
        ]),
        BrokenPipeline("options-for-other-kind.yaml", [
            #"options-for-other-kind.yaml:4:3: source.delimiter: `delimiter` applies only to csv sources (hint: this source is items; remove `delimiter`)"#,
            #"options-for-other-kind.yaml:5:3: source.database_url: `database_url` applies only to sql sources (hint: this source is items; remove `database_url`)"#,
        ]),
        BrokenPipeline("out-of-range.yaml", [
            #"out-of-range.yaml:3:15: defaults.batch_size: expected an integer ≥ 1, found `0`"#,
            #"out-of-range.yaml:4:12: defaults.backlog: expected an integer ≥ 1, found `-1`"#,
            #"out-of-range.yaml:5:26: defaults.retry.max_attempts: expected an integer ≥ 1, found `0`"#,
            #"out-of-range.yaml:5:37: defaults.retry.jitter: expected a number from 0 to 1, found `1.5`"#,
            #"out-of-range.yaml:12:22: stages[0].http.max_redirects: expected an integer ≥ 0, found `-1`"#,
            #"out-of-range.yaml:13:23: stages[0].http.failure_budget: expected an integer ≥ 1, found `0`"#,
        ]),
        BrokenPipeline("outputs-on-non-sql.yaml", [
            #"outputs-on-non-sql.yaml:7:5: stages[0].outputs: `outputs` applies only to sql stages (hint: remove it: other stages pass on what they produce)"#,
        ]),
        BrokenPipeline("retry-max-shorter.yaml", [
            #"retry-max-shorter.yaml:9:12: stages[0].retry.max: the longest delay (`1s`) is shorter than the first one (`10s`) (hint: make `max` at least as long as `initial`)"#,
        ]),
        BrokenPipeline("returning-without-clause.yaml", [
            #"returning-without-clause.yaml:7:14: stages[0].outputs: `outputs: returning` needs a RETURNING clause in the statement (hint: add `returning …` to the statement, or use `outputs: input`)"#,
        ]),
        BrokenPipeline("several-errors.yaml", [
            #"several-errors.yaml:3:16: defaults.concurrency: expected an integer ≥ 1, found `0`"#,
            #"several-errors.yaml:5:10: source.jsonl: the JSONL file `data/missing.jsonl` does not exist (hint: relative paths are looked up in the current directory ($CWD), then next to the pipeline file ($DIR))"#,
            #"several-errors.yaml:6:8: source.key: the key expression does not compile: syntax error, unexpected $end at <top-level>, line 1: .id | (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"several-errors.yaml:11:16: stages[0].http.timeout: expected a duration like 30s, found `10` (hint: write 10s (units: ms, s, m, h, d; combined like 1m30s))"#,
            #"several-errors.yaml:12:5: stages[0].retyr: unknown key `retyr` (hint: did you mean `retry`?)"#,
            #"several-errors.yaml:16:10: stages[2].sql: no field `currency` for the parameter `:currency` (hint: items reaching this stage have the fields id, total (from the object built by stage `shape`, line 13); built-ins: :_key, :_run, :_run_id, :_stage, :_payload)"#,
            #"several-errors.yaml:17:14: stages[2].outputs: `outputs: returning` needs a RETURNING clause in the statement (hint: add `returning …` to the statement, or use `outputs: input`)"#,
            #"several-errors.yaml:18:11: stages[3].name: stage name `fetch` is already used by the stage at line 8 (hint: give each stage its own name)"#,
        ]),
        BrokenPipeline("source-two-kinds.yaml", [
            #"source-two-kinds.yaml:4:3: source.sql: a source has one kind, but this one has both `items` (line 3) and `sql` (hint: keep only one of them)"#,
        ]),
        BrokenPipeline("source-without-kind.yaml", [
            #"source-without-kind.yaml:3:3: source: the source needs one of jsonl, csv, sql, http, items (hint: e.g. `jsonl: data/orders.jsonl`, or `items: [{id: 1}]` for a few inline items)"#,
        ]),
        BrokenPipeline("sql-params-after-jq.yaml", [
            #"sql-params-after-jq.yaml:8:10: stages[1].sql: no field `owner` for the parameter `:owner.login` (hint: items reaching this stage have the fields id, stars, lang (from the object built by stage `shape`, line 5); built-ins: :_key, :_run, :_run_id, :_stage, :_payload)"#,
            #"sql-params-after-jq.yaml:11:10: stages[2].sql: no field `starz` for the parameter `:starz` (hint: did you mean `:stars`? items reaching this stage have the fields id, stars, lang (from the object built by stage `shape`, line 5); built-ins: :_key, :_run, :_run_id, :_stage, :_payload)"#,
        ]),
        BrokenPipeline("sql-params-csv.yaml", [
            #"sql-params-csv.yaml:6:10: stages[0].sql: no field `email` for the parameter `:email` (hint: did you mean `:email_address`? items reaching this stage have the fields id, name, email_address (from the CSV file (columns of its header)); built-ins: :_key, :_run, :_run_id, :_stage, :_payload)"#,
        ]),
        BrokenPipeline("sql-params-items.yaml", [
            #"sql-params-items.yaml:10:10: stages[1].sql: no field `total` for the parameter `:total` (hint: items reaching this stage have the fields sku, qty, price (from the inline items); built-ins: :_key, :_run, :_run_id, :_stage, :_payload)"#,
        ]),
        BrokenPipeline("stage-two-kinds.yaml", [
            #"stage-two-kinds.yaml:7:5: stages[0].sql: a stage does one thing, but this one has both `jq` (line 6) and `sql` (hint: split it into two stages, one after the other)"#,
            #"stage-two-kinds.yaml:8:5: stages[0].exec: a stage does one thing, but this one has both `jq` (line 6) and `exec` (hint: split it into two stages, one after the other)"#,
        ]),
        BrokenPipeline("stage-without-kind.yaml", [
            #"stage-without-kind.yaml:5:5: stages[0]: the stage does nothing: it needs one of jq, sql, http, exec (hint: e.g. `jq: '.'` to reshape items, `sql: insert …` to write them, `http: { url: … }` to call a service)"#,
        ]),
        BrokenPipeline("top-level-list.yaml", [
            #"top-level-list.yaml:1:1: a pipeline file must be a mapping with the keys pipeline, source and stages, found a list (hint: start the file with `pipeline: NAME`)"#,
        ]),
        BrokenPipeline("unknown-exec-key.yaml", [
            #"unknown-exec-key.yaml:7:7: stages[0].exec.commnd: unknown key `commnd` (hint: did you mean `command`?)"#,
            #"unknown-exec-key.yaml:7:7: stages[0].exec.command: missing required key `command` (hint: a program and its arguments, e.g. command: [python3, scripts/enrich.py])"#,
            #"unknown-exec-key.yaml:8:7: stages[0].exec.environment: unknown key `environment` (hint: did you mean `env`?)"#,
        ]),
        BrokenPipeline("unknown-http-key.yaml", [
            #"unknown-http-key.yaml:8:7: stages[0].http.header: unknown key `header` (hint: did you mean `headers`?)"#,
            #"unknown-http-key.yaml:9:7: stages[0].http.timout: unknown key `timout` (hint: did you mean `timeout`?)"#,
        ]),
        BrokenPipeline("unknown-retry-key.yaml", [
            #"unknown-retry-key.yaml:4:5: defaults.retry.max_attempt: unknown key `max_attempt` (hint: did you mean `max_attempts`?)"#,
            #"unknown-retry-key.yaml:5:5: defaults.retry.backof: unknown key `backof` (hint: did you mean `backoff`?)"#,
            #"unknown-retry-key.yaml:6:3: defaults.backlogg: unknown key `backlogg` (hint: did you mean `backlog`?)"#,
        ]),
        BrokenPipeline("unknown-source-key.yaml", [
            #"unknown-source-key.yaml:4:3: source.on_eror: unknown key `on_eror` (hint: did you mean `on_error`?)"#,
            #"unknown-source-key.yaml:5:11: source.dedupe.window: missing required key `window` (hint: say how long a completed key is remembered, e.g. `dedupe: { window: 24h }`)"#,
            #"unknown-source-key.yaml:5:13: source.dedupe.windw: unknown key `windw` (hint: did you mean `window`?)"#,
        ]),
        BrokenPipeline("unknown-stage-key.yaml", [
            #"unknown-stage-key.yaml:7:5: stages[0].retyr: unknown key `retyr` (hint: did you mean `retry`?)"#,
            #"unknown-stage-key.yaml:8:5: stages[0].concurency: unknown key `concurency` (hint: did you mean `concurrency`?)"#,
            #"unknown-stage-key.yaml:9:5: stages[0].frobnicate: unknown key `frobnicate` (hint: valid keys here: name, jq, sql, http, exec, outputs, key, retry, concurrency, batch_size, lease, timeout, fuse)"#,
        ]),
        BrokenPipeline("unknown-top-key.yaml", [
            #"unknown-top-key.yaml:1:1: stages: missing required key `stages` (hint: add a list of stages, e.g. `stages: [ { name: shape, jq: '.' } ]`)"#,
            #"unknown-top-key.yaml:4:1: stagse: unknown key `stagse` (hint: did you mean `stages`?)"#,
        ]),
        BrokenPipeline("wrong-integer.yaml", [
            #"wrong-integer.yaml:3:16: defaults.concurrency: expected an integer ≥ 1, found `many`"#,
            #"wrong-integer.yaml:4:15: defaults.batch_size: expected an integer ≥ 1, found `100` (hint: remove the quotes: numbers are written without them)"#,
            #"wrong-integer.yaml:10:18: stages[0].concurrency: expected an integer ≥ 1, found `2.5`"#,
        ]),
        BrokenPipeline("wrong-shapes.yaml", [
            #"wrong-shapes.yaml:1:11: pipeline: expected text, found a list"#,
            #"wrong-shapes.yaml:2:11: defaults: expected a mapping of stage settings, found `3` (hint: valid keys here: retry, concurrency, batch_size, lease, timeout, backlog)"#,
            #"wrong-shapes.yaml:3:9: source: expected a mapping with one of jsonl, csv, sql, http, items, found `data.jsonl` (hint: valid keys here: jsonl, csv, sql, http, items, key, on_error, dedupe, delimiter, types, database_url, incremental, retry)"#,
            #"wrong-shapes.yaml:5:3: stages: expected a list of stages, found a mapping (hint: write a list: [a, b] or one `- item` per line)"#,
        ]),
        BrokenPipeline("yaml-syntax.yaml", [
            #"yaml-syntax.yaml:7:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 6) (hint: check the indentation (spaces, not tabs) and quote values containing `: `, ` #` or starting with {, [, *, &, !, %, @ or `)"#,
        ]),
        BrokenPipeline("http-source-paginators.yaml", [
            #"http-source-paginators.yaml:5:14: source.http.records: the records program does not compile: syntax error, unexpected $end at <top-level>, line 1: .data[ (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"http-source-paginators.yaml:6:33: source.http.paginate.cursor: a source has one paginator, but this one has both `offset` (line 6) and `cursor` (hint: keep only one of them)"#,
            #"http-source-paginators.yaml:6:48: source.http.paginate.param: `param` applies only to the cursor paginator (hint: this paginator is offset; remove `param`)"#,
            #"http-source-paginators.yaml:6:69: source.http.paginate.max_pages: expected an integer ≥ 1, found `0`"#,
        ]),
        BrokenPipeline("http-source-stage-keys.yaml", [
            #"http-source-stage-keys.yaml:4:5: source.http: `$cursor` is the incremental cursor, but the source has no `incremental:` (hint: add e.g. incremental: { cursor: .updated_at, initial: "2026-01-01T00:00:00Z" })"#,
            #"http-source-stage-keys.yaml:5:5: source.http.into: unknown key `into` (hint: valid keys here: method, url, query, headers, body, timeout, connect_timeout, retry_on, fail_on, success_on, rate, redact, insecure, ca_file, max_redirects, max_response_size, http_version, records, paginate)"#,
            #"http-source-stage-keys.yaml:6:30: source.http.paginate.link_header: `link_header: false` chooses no paginator (hint: write link_header: true to follow `Link: <…>; rel="next"`, or remove `paginate:` for a single request)"#,
            #"http-source-stage-keys.yaml:6:47: source.http.paginate.has_more: the has_more expression does not compile: syntax error, unexpected $end at <top-level>, line 1: .more | (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"http-source-stage-keys.yaml:7:26: source.retry.max_attempts: expected an integer ≥ 1, found `0`"#,
        ]),
        BrokenPipeline("incremental-sql.yaml", [
            #"incremental-sql.yaml:3:8: source.sql: the query of an incremental source does not use `:_cursor` (hint: filter on the cursor so each run reads only what is new, e.g. WHERE updated_at >= :_cursor ORDER BY updated_at)"#,
            #"incremental-sql.yaml:4:26: source.incremental.cursor: the cursor expression does not compile: syntax error, unexpected $end at <top-level>, line 1: .id | (hint: see the jq manual: https://jqlang.org/manual/)"#,
            #"incremental-sql.yaml:4:59: source.incremental.lookback: a text cursor has no lookback (only timestamps and numbers do) (hint: `initial` decides the kind: write a timestamp ("2026-01-01T00:00:00Z") or a number, or remove `lookback`)"#,
        ]),
        BrokenPipeline("incremental-on-file.yaml", [
            #"incremental-on-file.yaml:4:3: source.incremental: `incremental` applies only to sql and http sources (hint: this source is csv; remove `incremental`)"#,
            #"incremental-on-file.yaml:5:3: source.retry: `retry` applies only to http sources (hint: this source is csv; remove `retry`)"#,
        ]),
        BrokenPipeline("incremental-missing.yaml", [
            #"incremental-missing.yaml:3:8: source.sql: a source query has no item to take `:kind` from; its only parameter is `:_cursor` (hint: write a literal, or `::` for a cast (`x::int`))"#,
            #"incremental-missing.yaml:4:16: source.incremental.cursor: missing required key `cursor` (hint: a jq expression giving each record's cursor value, e.g. cursor: .updated_at)"#,
            #"incremental-missing.yaml:4:16: source.incremental.initial: missing required key `initial` (hint: the cursor of the first run (and after `baton cursor reset`), e.g. initial: "2026-01-01T00:00:00Z" or initial: 0)"#,
        ]),
        BrokenPipeline("json-errors.json", [
            #"json-errors.json:5:32: stages[0].jq: duplicate key `jq`: it is already set at line 5 (hint: a key may appear only once in a mapping; keep one of them)"#,
            #"json-errors.json:7:2: stagse: unknown key `stagse` (hint: did you mean `stages`?)"#,
        ]),
    ]
}
