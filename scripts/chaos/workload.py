"""Pipelines and sources for the rounds, with the rows and item states they must end with.

Every pipeline reads a generated JSONL file of {"id": N, "v": "<8 hex digits>"} (key `.id`),
passes it through its stages (every stage keyed `.id`, so an item's key is its id at every
stage) and ends in a `sql` stage inserting into the round's own table `sink (id, v)`, which
has NO unique constraint: a duplicated effect shows as a second row.

`Workload.rows` holds, per source id, the value `v` the sink must hold and the index of the
stage where the item is designed to fail (None: it must reach the sink).
"""

import json
import os
from dataclasses import dataclass, field

NULL = "\\N"  # NULL in COPY text format
SINK = "create table if not exists sink (id bigint, v text)"


@dataclass
class Workload:
    kind: str
    path: str                      # the pipeline file
    stages: list                   # stage names, in order
    rows: dict                     # id -> (expected v, failing stage index or None)
    attempts: dict = field(default_factory=dict)  # id -> (stage index, attempts, failed attempts)
    env: dict = field(default_factory=dict)       # environment for baton
    ambiguous: set = field(default_factory=set)   # ids whose attempt counts are not compared

    @property
    def items(self):
        return len(self.rows)

    @property
    def designed_failures(self):
        return sum(1 for _, f in self.rows.values() if f is not None)

    def write_expectations(self, folder):
        """TSV files for chaos_expected (id, v, fail_stage) and chaos_expected_items
        (stage, key, state); returns their paths."""
        rows_path = os.path.join(folder, "expected_rows.tsv")
        items_path = os.path.join(folder, "expected_items.tsv")
        with open(rows_path, "w") as rows, open(items_path, "w") as items:
            for i, (v, fail) in sorted(self.rows.items()):
                rows.write(f"{i}\t{v}\t{NULL if fail is None else fail}\n")
                last = len(self.stages) - 1 if fail is None else fail
                for s in range(last + 1):
                    state = "failed" if s == fail else "done"
                    items.write(f"{self.stages[s]}\t{i}\t{state}\n")
        return rows_path, items_path


def write_source(folder, rng, n):
    """n items {id, v} in a shuffled order; returns (path, {id: v})."""
    values = {i: "%08x" % rng.getrandbits(32) for i in range(1, n + 1)}
    order = list(values)
    rng.shuffle(order)
    path = os.path.join(folder, "source.jsonl")
    with open(path, "w") as f:
        for i in order:
            f.write(json.dumps({"id": i, "v": values[i]}) + "\n")
    return path, values


def _defaults(lease=None, batch=None, backlog=None):
    parts = []
    if lease:
        parts.append(f"lease: {lease}")
    if batch:
        parts.append(f"batch_size: {batch}")
    if backlog:
        parts.append(f"backlog: {backlog}")
    return "defaults: { " + ", ".join(parts) + " }\n" if parts else ""


def _write(folder, text):
    path = os.path.join(folder, "pipeline.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def etl(folder, rng, n, lease="2s", batch=None, backlog=None):
    """jq → jq → sql: the plain three-stage pipeline of the crash, restart, session and
    multi-process scenarios."""
    src, values = write_source(folder, rng, n)
    path = _write(folder, f"""pipeline: chaos
setup: {SINK}
{_defaults(lease, batch, backlog)}source:
  jsonl: {src}
  key: .id
stages:
  - name: shape
    jq: '{{id, v: (.v + ":" + ((.id * 7) % 1000 | tostring))}}'
  - name: tag
    key: .id
    jq: '.v |= ascii_upcase'
  - name: load
    key: .id
    sql: insert into sink (id, v) values (:id, :v)
""")
    rows = {i: (f"{v}:{i * 7 % 1000}".upper(), None) for i, v in values.items()}
    return Workload("etl", path, ["shape", "tag", "load"], rows)


def http_chain(folder, rng, n, base_url, lease="2s", backlog=None, concurrency=16, slow_commit=False):
    """jq → http (POST to the local server) → sql: the zombie scenario's pipeline. With
    `slow_commit` every sink insert sleeps 2 ms, so the load stage's commits take a while."""
    src, values = write_source(folder, rng, n)
    load = ("insert into sink (id, v) select :id::bigint, :v::text from pg_sleep(0.002)" if slow_commit
            else "insert into sink (id, v) values (:id, :v)")
    path = _write(folder, f"""pipeline: chaos
setup: {SINK}
{_defaults(lease, None, backlog)}source:
  jsonl: {src}
  key: .id
stages:
  - name: shape
    jq: '{{id, v: (.v + ":" + ((.id * 7) % 1000 | tostring))}}'
  - name: call
    key: .id
    http:
      method: POST
      url: "{base_url}/item/{{{{ .id }}}}"
      body: {{ json: '{{id, v}}' }}
      timeout: 20s
    concurrency: {concurrency}
    batch_size: 32
  - name: load
    key: .id
    sql: {load}
""")
    rows = {i: (f"{v}:{i * 7 % 1000}/ok", None) for i, v in values.items()}
    return Workload("http-chain", path, ["shape", "call", "load"], rows)


def flaky_http(folder, rng, n, base_url, decide, max_attempts, timeout_s):
    """http (POST, answers decided by `decide`) → sql, with exact attempt counts."""
    from flaky_http import expected_outcome
    src, values = write_source(folder, rng, n)
    path = _write(folder, f"""pipeline: chaos
setup: {SINK}
source:
  jsonl: {src}
  key: .id
stages:
  - name: call
    http:
      method: POST
      url: "{base_url}/item/{{{{ .id }}}}"
      body: {{ json: '{{id, v}}' }}
      timeout: {timeout_s}s
    concurrency: 64
    retry: {{ max_attempts: {max_attempts}, backoff: fixed, initial: 100ms, max: 2s, jitter: 0 }}
  - name: load
    key: .id
    sql: insert into sink (id, v) values (:id, :v)
""")
    rows, attempts = {}, {}
    for i, v in values.items():
        state, made, failed = expected_outcome(decide, str(i), max_attempts)
        rows[i] = (f"{v}/ok", None if state == "done" else 0)
        attempts[i] = (0, made, failed)
    return Workload("flaky-http", path, ["call", "load"], rows, attempts)


def check_constraint(folder, rng, n, divisor=17, batch=None):
    """jq → sql into a sink with a CHECK constraint that ids divisible by `divisor` break."""
    src, values = write_source(folder, rng, n)
    path = _write(folder, f"""pipeline: chaos
setup: create table if not exists sink (id bigint, v text, n bigint CHECK (n >= 0))
{_defaults(None, batch, None)}source:
  jsonl: {src}
  key: .id
stages:
  - name: shape
    jq: '{{id, v, n: (if .id % {divisor} == 0 then -1 else .id end)}}'
  - name: load
    key: .id
    sql: insert into sink (id, v, n) values (:id, :v, :n)
""")
    rows = {i: (v, 1 if i % divisor == 0 else None) for i, v in values.items()}
    return Workload("check", path, ["shape", "load"], rows)


HANG_EVERY = 97


def hanging(folder, rng, n, variant, base_url=None):
    """mark → work → load where `work` never ends for ids divisible by 97 while the
    environment has CHAOS_HANG=1: a jq endless loop, an exec stage that sleeps forever, or
    an http endpoint that never answers (the server's hang switch). With CHAOS_HANG=0 (and
    the server's switch off) the same file finishes, so a rerun can complete the run."""
    src, values = write_source(folder, rng, n)
    if variant == "jq":
        work = ("    jq: 'if .id % 97 == 0 and (env.CHAOS_HANG // \"0\") == \"1\" "
                "then (def f: f; f) else {id, v: (.v + \"/ok\")} end'\n")
    elif variant == "exec":
        script = os.path.join(folder, "work.sh")
        with open(script, "w") as f:
            f.write('read -r line\n'
                    'if [ "$CHAOS_HANG" = 1 ] && [ $((BATON_ITEM_KEY % 97)) -eq 0 ]; then exec sleep 100000; fi\n'
                    'printf \'%s\\n\' "$line"\n')
        work = (f"    exec:\n      command: [sh, {script}]\n      timeout: 1h\n"
                f"    concurrency: 8\n")
    elif variant == "http":
        work = (f"    http:\n      method: POST\n      url: \"{base_url}/item/{{{{ .id }}}}\"\n"
                f"      body: {{ json: '{{id, v}}' }}\n      timeout: 1h\n    concurrency: 16\n")
    else:
        raise ValueError(variant)
    path = _write(folder, f"""pipeline: chaos
setup: {SINK}
defaults: {{ lease: 2s }}
source:
  jsonl: {src}
  key: .id
stages:
  - name: mark
    jq: '{{id, v}}'
  - name: work
    key: .id
{work}  - name: load
    key: .id
    sql: insert into sink (id, v) values (:id, :v)
""")
    suffix = "" if variant == "exec" else "/ok"
    rows = {i: (f"{v}{suffix}", None) for i, v in values.items()}
    return Workload(f"hang-{variant}", path, ["mark", "work", "load"], rows)
