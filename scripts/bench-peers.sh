#!/usr/bin/env bash
# Row 7 (optional, not part of `make bench` or `make test`): Baton's full transactional step
# next to PgQueuer's no-op jobs, on the same durable cluster, in the same run.
#
#   scripts/bench-peers.sh BATON_BINARY      (`make bench-peers`)
#
# PgQueuer: a throwaway venv (python3 -m venv) with `pip install pgqueuer asyncpg` from PyPI;
# BENCH_PEERS_ITEMS (default BENCH_SMALL, else 100 000) jobs enqueued, then one consumer
# (PgQueuer's defaults, drain mode, a no-op entrypoint) timed while it drains them
# (scripts/bench/pgqueuer-noop.py). Baton: the same number of JSONL items through jq → sql
# insert into a table (claim, transform, effect, done mark), default settings, timed end to
# end (seeding included, unlike PgQueuer's drain). Prints the row and keeps it as the last
# section of BENCHMARKS.md (BENCH_OUT to change).
set -euo pipefail
baton=$(realpath "${1:?baton binary}")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tool="python3 $here/bench/benchtool.py"
n=${BENCH_PEERS_ITEMS:-${BENCH_SMALL:-100000}}
out=${BENCH_OUT:-$repo/BENCHMARKS.md}

work=$(mktemp -d /tmp/baton-bench-peers.XXXXXX)
chmod 755 "$work"
cluster="$work/pg"
results="$work/results.tsv"
: > "$results"
cleanup() {
  "$here/test-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-peers: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "bench-peers: $*" >&2; }
fail() { echo "bench-peers: FAILED: $*" >&2; exit 1; }
rec() { printf '%s\t%s\n' "$1" "$2" >> "$results"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
start_all=$(now)
load_start=$(cut -d" " -f1-3 /proc/loadavg)

say "venv with pgqueuer…"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check pgqueuer asyncpg > "$work/pip.log" 2>&1 \
  || { cat "$work/pip.log" >&2; fail "pip install pgqueuer asyncpg"; }
pgq_version=$("$work/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pgqueuer"))')

BATON_CLUSTER_DURABLE=1 "$here/test-cluster.sh" start "$cluster" >/dev/null
admin="postgresql:///postgres?host=$cluster&user=postgres"
sql() { local db=$1; shift; psql -qAtX -v ON_ERROR_STOP=1 "$db" "$@"; }
[ "$(sql "$admin" -c 'show fsync')" = on ] && [ "$(sql "$admin" -c 'show synchronous_commit')" = on ] \
  || fail "the cluster is not durable"
sql "$admin" -c "CREATE DATABASE bench_pgq" -c "CREATE DATABASE bench_baton"
db_pgq="postgresql:///bench_pgq?host=$cluster&user=postgres"
db_baton="postgresql:///bench_baton?host=$cluster&user=postgres"

$tool gen items "$n" "$work/items.jsonl"
rec n "$n"; rec pgq.version "$pgq_version"

# PgQueuer: the script checks every job ran once and the queue is empty.
sql "$admin" -c CHECKPOINT
say "PgQueuer $pgq_version: $n no-op jobs…"
"$work/venv/bin/python" "$here/bench/pgqueuer-noop.py" "$db_pgq" "$n" > "$work/pgq.json" \
  || fail "the PgQueuer run"
pgq() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/pgq.json" "$1"; }
rec pgq.drain "$(pgq drain_seconds)"

# Baton: jq → sql insert, default settings.
cat > "$work/peers.yaml" <<YAML
pipeline: peers
source:
  jsonl: $work/items.jsonl
  key: .id
stages:
  - name: shape
    jq: '{id, name: (.name | ascii_downcase), score: (.value * 1.5)}'
  - name: load
    sql: insert into bench_out (id, name, score) values (:id, :name, :score)
YAML
sql "$db_baton" -c "CREATE TABLE bench_out (id bigint PRIMARY KEY, name text, score float8)"
sql "$admin" -c CHECKPOINT
say "Baton: $n items, jq → sql insert…"
start=$(now)
"$baton" run "$work/peers.yaml" --database-url "$db_baton" --json --progress none > "$work/baton.json" 2> "$work/baton.err" \
  || { cat "$work/baton.err" >&2; fail "baton run exited non-zero"; }
rec baton.wall "$(since "$start")"
$tool check "$work/baton.json" "$n"
got=$(sql "$db_baton" -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE name = 'item-' || id AND score = (id % 1000) * 1.5) FROM bench_out")
[ "$got" = "$n $n" ] || fail "bench_out: expected $n rows all transformed, found (rows, correct) = $got"

rec note.1pgq "PgQueuer: one QueueManager (asyncpg, PgQueuer's defaults: batch_size 10, drain mode), no-op entrypoint; drain $(pgq drain_seconds | xargs printf '%.1f') s, enqueue (not counted) $(pgq enqueue_seconds | xargs printf '%.1f') s in batches of 10 000"
rec note.2baton "Baton: wall time of the whole \`baton run\` (seeding included) $(grep -P '^baton.wall\t' "$results" | cut -f2) s; stages: $(python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
print(', '.join(f\"{x['name']} {x.get('items_per_second')} items/s\" for x in s['stages']))" "$work/baton.json")"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null)" ] || commit="$commit (with uncommitted changes in Sources/)"
rec meta.1date "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, Postgres $(sql "$admin" -c 'SHOW server_version') (fsync on, synchronous_commit on), Baton commit $commit"
rec meta.3load "load average (1, 5, 15 min) at start $load_start, at end $(cut -d" " -f1-3 /proc/loadavg): well above $(nproc) means other work shared the cores"
rec meta.2elapsed "bench-peers wall time: $(since "$start_all") s (venv and pip included)"
$tool peers "$results" "$out"
say "wrote $out"
