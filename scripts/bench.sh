#!/usr/bin/env bash
# Baton next to what a user would otherwise run, everything measured in one run on one
# durable Postgres cluster (fsync on, synchronous_commit on), Baton with default settings
# (`baton run FILE --database-url URL --json --progress none`: no --workers, no tuning keys).
#
#   scripts/bench.sh BATON_BINARY        (`make bench` builds the release binary first)
#
# Prints one table (workload | Baton | reference | ratio | goal) and writes it, with the
# machine, the Postgres version and Baton's commit, to BENCHMARKS.md (BENCH_OUT to change).
# Every row checks its result (sink row counts, summaries, server request counts) before a
# number is printed; a failed check fails the script.
#
# Sizes (environment):
#   BENCH_ITEMS              rows 1–3 (default 1 000 000). Above BENCH_BASE (default
#                            1 000 000), rows 1–3 run at BENCH_BASE and row 6 runs the same
#                            pipeline, and its reference, at BENCH_ITEMS (10 M: manual, long).
#   BENCH_SMALL              row 2's small run, row 5, row 4a (default 100 000)
#   BENCH_HTTP_ITEMS         row 4a (default BENCH_SMALL)
#   BENCH_HTTP_SLOW_ITEMS    row 4b, server answering after BENCH_HTTP_DELAY_MS (default 10 000, 20 ms)
#   BENCH_KEEP=1             keep the work folder (data, summaries, cluster) in /tmp
set -euo pipefail
baton=$(realpath "${1:?baton binary}")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tool="python3 $here/bench/benchtool.py"
items=${BENCH_ITEMS:-1000000}
small=${BENCH_SMALL:-100000}
http_items=${BENCH_HTTP_ITEMS:-$small}
slow_items=${BENCH_HTTP_SLOW_ITEMS:-10000}
delay_ms=${BENCH_HTTP_DELAY_MS:-20}
out=${BENCH_OUT:-$repo/BENCHMARKS.md}
base=$items big=""
if [ "$items" -gt "${BENCH_BASE:-1000000}" ]; then base=${BENCH_BASE:-1000000} big=$items; fi
[ "$small" -lt "$base" ] || { echo "bench: BENCH_SMALL ($small) must be below the base size ($base)" >&2; exit 64; }

bench_start=$(date +%s.%N)
load_start=$(cut -d" " -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/baton-bench.XXXXXX)
chmod 755 "$work"  # the server runs as postgres and must reach its cluster folder inside
cluster="$work/pg"
results="$work/results.tsv"
: > "$results"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$here/test-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
fail() { echo "bench: FAILED: $*" >&2; exit 1; }
rec() { printf '%s\t%s\n' "$1" "$2" >> "$results"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
calc() { python3 -c "import sys; print($1)"; }
phase_start=""
phase() { # NAME: time the phases of the bench itself
  if [ -n "$phase_start" ]; then phases+="$phase_name $(since "$phase_start")s, "; fi
  phase_name=$1 phase_start=$(now)
}
phases=""

# Tools: wrk and nginx for row 4, GNU time for RSS and CPU.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/time ] || missing+=(time)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# The cluster, durable.
BATON_CLUSTER_DURABLE=1 "$here/test-cluster.sh" start "$cluster" >/dev/null
admin="postgresql:///postgres?host=$cluster&user=postgres"
sql() { local db=$1; shift; psql -qAtX -v ON_ERROR_STOP=1 "$db" "$@"; }
[ "$(sql "$admin" -c 'show fsync')" = on ] && [ "$(sql "$admin" -c 'show synchronous_commit')" = on ] \
  || fail "the cluster is not durable"
newdb() { sql "$admin" -c "CREATE DATABASE $1"; echo "postgresql:///$1?host=$cluster&user=postgres"; }
dropdb_() { sql "$admin" -c "DROP DATABASE $1"; }
checkpoint() { sql "$admin" -c "CHECKPOINT"; }
# Before each measurement: no autovacuum left over from the previous one (up to 60 s), then
# a checkpoint, so every measurement starts on an idle server.
quiesce() {
  for _ in $(seq 120); do
    [ "$(sql "$admin" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
    sleep 0.5
  done
  checkpoint
}
sink_table="CREATE TABLE bench_out (id bigint PRIMARY KEY, name text, score float8)"
check_sink() { # DB TABLE N: every row present and transformed as the jq program says
  local got
  got=$(sql "$1" -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE name = 'item-' || id AND score = (id % 1000) * 1.5) FROM $2")
  [ "$got" = "$3 $3" ] || fail "$2 in $1: expected $3 rows all transformed, found (rows, correct) = $got"
}

# One Baton run with default settings, timed from outside, with GNU time's RSS and CPU.
baton_run() { # NAME YAML DB
  local name=$1 yaml=$2 db=$3 start stats
  quiesce
  say "baton run: $name…"
  start=$(now)
  /usr/bin/time -v -o "$work/$name.time" "$baton" run "$yaml" --database-url "$db" --json --progress none \
    > "$work/$name.json" 2> "$work/$name.err" \
    || { cat "$work/$name.err" "$work/$name.json" >&2; fail "baton run $name exited non-zero"; }
  rec "$name.wall" "$(since "$start")"
  read -r rss cpu _ <<< "$($tool gnutime "$work/$name.time")"
  rec "$name.rss_kb" "$rss"; rec "$name.cpu" "$cpu"
  rec "$name.summary_wall" "$($tool field "$work/$name.json" wall_seconds)"
}

# The reference for rows 1, 3 and 6: psql \copy into a jsonb staging table, then one
# set-based upsert.
reference() { # NAME FILE N
  local name=$1 file=$2 n=$3 db start
  db=$(newdb "bench_$name")
  sql "$db" -c "CREATE TABLE staging (doc jsonb)" -c "$sink_table"
  quiesce
  say "reference: \\copy + insert…select, $n items…"
  start=$(now)
  sql "$db" -c "\\copy staging(doc) from '$file' csv quote e'\\x01' delimiter e'\\x02'"
  rec "$name.copy" "$(since "$start")"
  start=$(now)
  sql "$db" -c "INSERT INTO bench_out (id, name, score)
    SELECT (doc->>'id')::bigint, lower(doc->>'name'), (doc->>'value')::float8 * 1.5 FROM staging
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, score = excluded.score"
  rec "$name.insert" "$(since "$start")"
  [ "$(sql "$db" -c 'SELECT count(*) FROM staging')" = "$n" ] || fail "reference: staging does not hold $n rows"
  check_sink "$db" bench_out "$n"
  dropdb_ "bench_$name"
}

pipeline_yaml() { # FILE JSONL: row 1's pipeline, nothing but the stages
  cat > "$1" <<YAML
pipeline: bench
source:
  jsonl: $2
  key: .id
stages:
  - name: shape
    jq: '{id, name: (.name | ascii_downcase), score: (.value * 1.5)}'
  - name: load
    sql: >
      insert into bench_out (id, name, score) values (:id, :name, :score)
      on conflict (id) do update set name = excluded.name, score = excluded.score
YAML
}

# ---------------------------------------------------------------------------------------
phase generate
say "generating data…"
$tool gen items "$base" "$work/base.jsonl"
$tool gen items "$small" "$work/small.jsonl"
$tool gen http "$http_items" "$work/http.jsonl"
$tool gen http "$slow_items" "$work/slow.jsonl"
chmod 644 "$work"/*.jsonl
rec base.n "$base"; rec small.n "$small"; rec http.n "$http_items"; rec slow.n "$slow_items"

# Rows 1–3: the pipeline on BASE items, its reference, sizes and seeding.
phase "row 1-3 ($base)"
reference ref_base "$work/base.jsonl" "$base"
db=$(newdb bench_base)
sql "$db" -c "$sink_table"
pipeline_yaml "$work/base.yaml" "$work/base.jsonl"
baton_run base "$work/base.yaml" "$db"
$tool check "$work/base.json" "$base"
check_sink "$db" bench_out "$base"

# 2b. Every table of schema baton except runs (items, its partitions or successors if any,
# attempts, results…): total relation size (heap, TOAST, indexes) against the bytes of the
# live rows they hold (sum of pg_column_size of each row).
sql "$db" -F ' ' > "$work/sizes.txt" <<'SQL'
SELECT format('SELECT %L, pg_total_relation_size(%L::regclass), (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM %s t)',
              c.relname, c.oid::regclass::text, c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'baton' AND c.relkind = 'r' AND c.relname <> 'runs'
ORDER BY 1
\gexec
SQL
read -r total live <<< "$(awk '{t += $2; l += $3} END {print t, l}' "$work/sizes.txt")"
rec size.total "$total"; rec size.live "$live"
rec note.20size "row 2b by table (total / live): $(awk '$2 > 1048576 {printf "%s%s %.0f / %.0f MiB", sep, $1, $2/1048576, $3/1048576; sep=", "}' "$work/sizes.txt") (tables under 1 MiB left out)"

# 2c. Latency: p95/p99 of each stage from the summary (n/a for fields it does not have).
latency=$(python3 - "$work/base.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
fmt = lambda v: "n/a" if v is None else f"{v:g} ms"
parts = [f"{st['name']} {fmt(st.get('p95_ms'))} / {fmt(st.get('p99_ms'))}" for st in s["stages"]]
for key in ("claim_p95_ms", "claim_p99_ms"):
    if key in s:
        parts.append(f"{key} {fmt(s[key])}")
print(", ".join(parts))
PY
)
rec latency "$latency"

# 3. Seeding alone: `baton run --seed-only` of the same file into a database of its own (no
# stage works meanwhile, the seeder does not pause at the backlog), against row 1's \copy.
# The row-1 run's own seeding span is a note.
in_run_seed=$($tool field "$work/base.json" seed_seconds)
dropdb_ bench_base
db=$(newdb bench_seed)
sql "$db" -c "$sink_table"
quiesce
say "baton run --seed-only: $base items…"
start=$(now)
/usr/bin/time -v -o "$work/seed.time" "$baton" run "$work/base.yaml" --seed-only --database-url "$db" --json --progress none \
  > "$work/seed.json" 2> "$work/seed.err" || { cat "$work/seed.err" "$work/seed.json" >&2; fail "baton run --seed-only exited non-zero"; }
rec seed.wall "$(since "$start")"
rec seed.seed_seconds "$($tool field "$work/seed.json" seed_seconds)"
seeded=$(sql "$db" -c "SELECT seeded || ' ' || seed_done || ' ' || state FROM baton.runs WHERE pipeline = 'bench'")
[ "$seeded" = "$base true running" ] || fail "seeding: baton.runs (seeded, seed_done, state) = $seeded, expected $base true running"
[ "$(sql "$db" -c "SELECT count(*) FROM baton.item_rows")" = "$base" ] || fail "seeding: baton.item_rows does not hold $base rows"
read -r rss cpu _ <<< "$($tool gnutime "$work/seed.time")"
rec note.30seed "row 3: \`baton run --seed-only\` (process wall), seeded in bulk: the file read once, each record checked as it is loaded, no index until the last chunk, before which both are built side by side (migration 12); its seeding span alone (index builds included) $($tool field "$work/seed.json" seed_seconds) s; Baton CPU ${cpu} s, peak RSS $(calc "f'{$rss / 1024:.1f}'") MiB; the row-1 run seeded alongside its stages in ${in_run_seed:-n/a} s"
dropdb_ bench_seed
# The \copy again, right after: row 3 takes the faster of the two (the reference varies too).
db=$(newdb bench_seed_copy)
sql "$db" -c "CREATE TABLE staging (doc jsonb)"
quiesce
start=$(now)
sql "$db" -c "\\copy staging(doc) from '$work/base.jsonl' csv quote e'\\x01' delimiter e'\\x02'"
rec seed.copy "$(since "$start")"
dropdb_ bench_seed_copy
read -r rss cpu _ <<< "$($tool gnutime "$work/base.time")"
rec note.10base "row 1: Baton peak RSS $(calc "f'{$rss / 1024:.1f}'") MiB, CPU (user+sys) ${cpu} s = $(calc "f'{100 * $cpu / $(grep -P '^base.wall\t' "$results" | cut -f2):.0f}'") % of one core over the wall time; summary wall_seconds $($tool field "$work/base.json" wall_seconds) s (the table uses the process's wall time); stages: $(python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
print(', '.join(f\"{x['name']} {x.get('items_per_second')} items/s, p50 {x.get('p50_ms')} ms\" for x in s['stages']))" "$work/base.json")"

# 2a. The same pipeline on SMALL items.
phase "row 2a ($small)"
db=$(newdb bench_small)
sql "$db" -c "$sink_table"
pipeline_yaml "$work/small.yaml" "$work/small.jsonl"
baton_run small "$work/small.yaml" "$db"
$tool check "$work/small.json" "$small"
check_sink "$db" bench_out "$small"
dropdb_ bench_small

# 4a. http stage against nginx, next to wrk against the same nginx.
phase "row 4a"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
error_log $work/nginx-error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location = /__status { stub_status; }
    location / { default_type application/json; return 200 '{"stars": 42, "language": "Swift"}'; }
  }
}
NGINX
"$nginx_bin" -c "$work/nginx.conf" -p "$work" &
pids+=($!)
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; fail "server on port $1 did not start"; }
nginx_requests() { curl -s "http://127.0.0.1:$port/__status" | awk 'NR == 3 {print $3}'; }
wait_port "$port"
http_yaml() { # FILE JSONL PORT
  cat > "$1" <<YAML
pipeline: benchhttp
source:
  jsonl: $2
  key: .id
stages:
  - name: fetch
    http:
      url: "http://127.0.0.1:$3/repos/{{ .owner }}/{{ .name }}"
      into: repo
YAML
}
# The stage's concurrency: the summary's, if it says; else the http stage's default (16).
concurrency=16
db=$(newdb bench_http)
http_yaml "$work/http.yaml" "$work/http.jsonl" "$port"
# The raw rate: the better of two wrk runs, just before and just after Baton's.
raw_rate() {
  quiesce
  say "raw: wrk, $concurrency connections, 5 s against nginx…"
  wrk -t 2 -c "$concurrency" -d 5s "http://127.0.0.1:$port/repos/apple/swift" > "$work/wrk.txt"
  awk '/Requests\/sec/ {print $2}' "$work/wrk.txt" | grep . || fail "wrk gave no rate: $(cat "$work/wrk.txt")"
}
# A plain libcurl loop (one multi handle, the same concurrency, handles reused): the cost of
# libcurl itself without Baton's, and the row's reference (the issue allows wrk or such a
# loop; wrk's rate stays in the row and its note). The better of a run before and one after
# Baton's, as for wrk.
compiler=$(command -v cc || command -v clang || command -v gcc || echo cc)
have_loop=0
if "$compiler" -O2 -o "$work/curlloop" "$here/bench/curlloop.c" -lcurl 2> "$work/curlloop.err"; then
  have_loop=1
else
  say "no C compiler for the libcurl loop: $(head -1 "$work/curlloop.err")"
fi
loop_rate() {
  local r failed
  quiesce
  say "raw: plain libcurl loop, $concurrency in flight, $http_items requests…"
  read -r r failed < <("$work/curlloop" "http://127.0.0.1:$port" "$http_items" "$concurrency") || fail "curlloop: requests failed"
  [ "$failed" = 0 ] || fail "curlloop: $failed requests did not answer 200"
  echo "$r"
}
raw1=$(raw_rate)
loop1=n/a; [ "$have_loop" = 1 ] && loop1=$(loop_rate)
before=$(nginx_requests)
baton_run http "$work/http.yaml" "$db"
after=$(nginx_requests)
c=$($tool field "$work/http.json" stages.fetch.concurrency)
if [ -n "$c" ] && [ "$c" != "$concurrency" ]; then
  say "the summary gives the stage's concurrency as $c: wrk and the loop again with $c connections"
  concurrency=$c
  raw1=$(raw_rate)
  [ "$have_loop" = 1 ] && loop1=$(loop_rate)
fi
raw2=$(raw_rate)
raw=$(calc "max($raw1, $raw2)")
curl_loop=n/a
if [ "$have_loop" = 1 ]; then
  loop2=$(loop_rate)
  curl_loop=$(calc "max($loop1, $loop2)")
fi
rec http.curl_loop "$curl_loop"
$tool check "$work/http.json" "$http_items"
served=$(( after - before - 1 ))
[ "$served" -ge "$http_items" ] || fail "http: nginx served $served requests for $http_items items"
rec http.concurrency "$concurrency"
rec http.raw "$raw"
stage_rate() { # NAME N: the stage's items/s from the summary, else N / the process's wall time
  local r
  r=$($tool field "$work/$1.json" "stages.${3:-fetch}.items_per_second")
  if [ -n "$r" ]; then echo "$r"; else calc "$2 / $(grep -P "^$1.wall\t" "$results" | cut -f2)"; fi
}
rec http.rate "$(stage_rate http "$http_items")"
rec note.40http "rows 4a/4b/5 use the stage's items/s from the summary (its active span); end to end (process wall): 4a $(calc "f'{$http_items / $(grep -P '^http.wall\t' "$results" | cut -f2):,.0f}'")/s; nginx served $served requests for $http_items items; wrk before/after Baton: $(calc "f'{$raw1:,.0f} / {$raw2:,.0f}'")/s (the table takes the better); a plain libcurl multi loop (\`scripts/bench/curlloop.c\`, $concurrency in flight, the same $http_items requests), the row's reference: before/after Baton ${loop1:-n/a} / ${loop2:-n/a}/s (the table takes the better); against wrk Baton's stage reaches $(calc "f'{100 * $(stage_rate http "$http_items") / $raw:.0f}'") %"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
dropdb_ bench_http

# 4b. http stage against a server answering after DELAY_MS; the bound is concurrency / delay.
phase "row 4b"
sport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The C server answers within microseconds of the deadline; the Python one (no compiler) can
# overshoot by a millisecond on these busy cores, which no client could make up.
if "$compiler" -O2 -o "$work/slow-server" "$here/bench/slow-server.c" 2> "$work/slow-server-cc.err"; then
  slow_server="\`scripts/bench/slow-server.c\`: C, epoll and a timerfd"
  "$work/slow-server" "$sport" "$delay_ms" 2> "$work/slow-server.err" &
else
  slow_server="\`scripts/bench/slow-server.py\`: Python asyncio, no C compiler found"
  python3 "$here/bench/slow-server.py" "$sport" "$delay_ms" 2> "$work/slow-server.err" &
fi
pids+=($!)
wait_port "$sport"
quiesce
wrk -t 1 -c "$concurrency" -d 3s "http://127.0.0.1:$sport/x" > "$work/wrk-slow.txt"
slow_raw=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-slow.txt")
db=$(newdb bench_slow)
http_yaml "$work/slow.yaml" "$work/slow.jsonl" "$sport"
before=$(curl -s "http://127.0.0.1:$sport/__count")
baton_run slow "$work/slow.yaml" "$db"
after=$(curl -s "http://127.0.0.1:$sport/__count")
$tool check "$work/slow.json" "$slow_items"
[ $(( after - before )) -ge "$slow_items" ] || fail "slow http: the server answered $(( after - before )) requests for $slow_items items"
rec slow.delay_ms "$delay_ms"
rec slow.rate "$(stage_rate slow "$slow_items")"
rec note.41slow "row 4b: the ${delay_ms} ms server itself ($slow_server) gives $(calc "f'{$slow_raw:,.0f}'") requests/s under wrk with $concurrency connections (the bound is $(( concurrency * 1000 / delay_ms ))/s); Baton end to end $(calc "f'{$slow_items / $(grep -P '^slow.wall\t' "$results" | cut -f2):,.0f}'")/s"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
dropdb_ bench_slow

# 5. exec stage in coprocess mode against the same transform as a jq stage.
phase "row 5"
single_yaml() { # FILE STAGE_BODY (indented under the stage)
  cat > "$1" <<YAML
pipeline: benchshape
source:
  jsonl: $work/small.jsonl
  key: .id
stages:
  - name: shape
$2
YAML
}
single_yaml "$work/jq.yaml" "    jq: '{id, name: (.name | ascii_downcase), score: (.value * 1.5)}'"
single_yaml "$work/exec.yaml" "    exec:
      command: [python3, $here/bench/coprocess.py, $work/coprocess.count]
      mode: stream"
db=$(newdb bench_jq)
baton_run jq "$work/jq.yaml" "$db"
$tool check "$work/jq.json" "$small"
rec jq.rate "$(stage_rate jq "$small" shape)"
dropdb_ bench_jq
if "$baton" validate "$work/exec.yaml" > "$work/validate.txt" 2>&1; then
  db=$(newdb bench_exec)
  : > "$work/coprocess.count"
  baton_run exec "$work/exec.yaml" "$db"
  $tool check "$work/exec.json" "$small"
  answered=$(awk '{s += $1} END {print s + 0}' "$work/coprocess.count")
  [ "$answered" -ge "$small" ] || fail "exec: the coprocesses answered $answered lines for $small items"
  rec exec.rate "$(stage_rate exec "$small" shape)"
  rec note.50exec "row 5: $(wc -l < "$work/coprocess.count") coprocess(es) answered $answered lines"
  dropdb_ bench_exec
elif grep -q "mode" "$work/validate.txt"; then
  rec exec.na "n/a (mode: stream not available)"
  rec note.50exec "row 5: \`baton validate\` rejects the exec stage: $(head -1 "$work/validate.txt" | sed "s|$work/||")"
else
  cat "$work/validate.txt" >&2; fail "exec: baton validate rejected the pipeline for another reason than mode"
fi

# 7. Pickup latency: commit → claim by an idle worker, with LISTEN/NOTIFY and poll only.
phase "row 7"
pickup_items=${BENCH_PICKUP_ITEMS:-12}
for mode in notify poll; do
  db=$(newdb "bench_pickup_$mode")
  extra=(); [ "$mode" = poll ] && extra=(--poll-only)
  read -r median p90 measured <<< "$(bash "$here/bench/pickup.sh" "$baton" "$db" "$work/pickup-$mode" "$pickup_items" "${extra[@]}")" \
    || fail "pickup ($mode) failed"
  [ "$measured" -ge $((pickup_items / 2)) ] || fail "pickup ($mode): only $measured parents measured"
  rec "pickup.$mode.median" "$median"; rec "pickup.$mode.p90" "$p90"
  dropdb_ "bench_pickup_$mode"
done
rec pickup.n "$pickup_items"
rec note.70pickup "row 7: scripts/bench/pickup.sh: a producer process enqueues two children per commit, $pickup_items commits ~0.7 s apart; the second child waits for an idle worker (of \`baton work\` or of the producer); p90 $(grep -P '^pickup.notify.p90\t' "$results" | cut -f2) ms with notifications, $(grep -P '^pickup.poll.p90\t' "$results" | cut -f2) ms poll only (longest poll 0.5 s)"

# 6. The big run: the same pipeline on BENCH_ITEMS, its reference too.
if [ -n "$big" ]; then
  phase "row 6 ($big)"
  say "generating $big items…"
  rm -f "$work/small.jsonl" "$work/http.jsonl" "$work/slow.jsonl"
  $tool gen items "$big" "$work/big.jsonl"
  chmod 644 "$work/big.jsonl"
  rec big.n "$big"
  reference ref_big "$work/big.jsonl" "$big"
  db=$(newdb bench_big)
  sql "$db" -c "$sink_table"
  pipeline_yaml "$work/big.yaml" "$work/big.jsonl"
  baton_run big "$work/big.yaml" "$db"
  $tool check "$work/big.json" "$big"
  check_sink "$db" bench_out "$big"
  dropdb_ bench_big
fi
phase end

# ---------------------------------------------------------------------------------------
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null)" ] || commit="$commit (with uncommitted changes in Sources/)"
rec meta.date "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
rec meta.machine "machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory, $(. /etc/os-release && echo "$PRETTY_NAME"), client and server on the same cores"
rec meta.postgres "Postgres: $(sql "$admin" -c 'SHOW server_version'), fsync $(sql "$admin" -c 'SHOW fsync'), synchronous_commit $(sql "$admin" -c 'SHOW synchronous_commit'), shared_buffers $(sql "$admin" -c 'SHOW shared_buffers')"
rec meta.baton "Baton: commit $commit, $("$baton" --version 2>/dev/null || true), release build, default settings"
rec meta.sizes "sizes: BENCH_ITEMS=$items, BENCH_SMALL=$small, http $http_items, slow http $slow_items items at ${delay_ms} ms"
rec meta.load "load average (1, 5, 15 min) at start $load_start, at end $(cut -d" " -f1-3 /proc/loadavg): well above $(nproc) means other work shared the cores"
rec meta.elapsed "bench wall time: $(since "$bench_start") s (${phases%, })"
$tool report "$results" "$out"
say "wrote $out"
