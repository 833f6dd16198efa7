#!/usr/bin/env bash
# A stream exec stage (a 3-line Python transform) next to the same transform in jq, measured
# in the same run on the same database.
#
#   scripts/bench-exec.sh BATON_BINARY    (inside scripts/with-test-db.sh: uses BATON_TEST_DATABASE_URL)
#
# BENCH_EXEC_ITEMS (default 10 000) JSONL items through one stage that adds a field, run to
# completion with 4 workers: once as `jq`, once as `exec: { mode: stream }` with Python.
# Also the old per-item mode (`mode: once`) on BENCH_EXEC_ONCE_ITEMS (default 100) items.
set -euo pipefail
baton=$(realpath "${1:?baton binary}")
items=${BENCH_EXEC_ITEMS:-10000}
once_items=${BENCH_EXEC_ONCE_ITEMS:-100}
admin=${BATON_TEST_DATABASE_URL:?run inside scripts/with-test-db.sh}
work=$(mktemp -d /tmp/baton-bench-exec.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT INT TERM

db_url() { python3 -c 'import re, sys; print(re.sub(r"^(postgres(?:ql)?://[^/?]*)(/[^?]*)?", lambda m: m.group(1) + "/" + sys.argv[2], sys.argv[1], count=1))' "$admin" "$1"; }

python3 - "$items" > "$work/items.jsonl" <<'PY'
import json, sys
for i in range(1, int(sys.argv[1]) + 1):
    print(json.dumps({"id": i, "name": f"Item-{i}", "value": i % 1000}))
PY
head -n "$once_items" "$work/items.jsonl" > "$work/few.jsonl"

cat > "$work/transform.py" <<'PY'
import json, sys
for line in sys.stdin:
    print(json.dumps({"items": [{**json.loads(line), "ok": True}]}), flush=True)
PY
cat > "$work/once.py" <<'PY'
import json, sys
print(json.dumps({**json.loads(sys.stdin.readline()), "ok": True}))
PY

pipeline() {  # name, source file, stage body
  cat > "$work/$1.yaml" <<YAML
pipeline: $1
source: { jsonl: $2, key: .id }
stages:
  - name: t
$3
YAML
}
pipeline jq "$work/items.jsonl" "    jq: '. + {ok: true}'"
pipeline stream "$work/items.jsonl" "    exec: { command: [python3, $work/transform.py], mode: stream }"
pipeline once "$work/few.jsonl" "    exec: { command: [python3, $work/once.py] }"

measure() {  # name → prints "wall_seconds stage_items_per_second"
  PGOPTIONS="-c client_min_messages=warning" psql -qX "$admin" -c "DROP DATABASE IF EXISTS bench_exec_$1" -c "CREATE DATABASE bench_exec_$1" >/dev/null
  local url; url=$(db_url "bench_exec_$1")
  "$baton" run "$work/$1.yaml" --run bench --workers 4 --json --progress none --database-url "$url" > "$work/$1.json"
  psql -qX "$admin" -c "DROP DATABASE bench_exec_$1" >/dev/null
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["stages"][0]; assert s["done"] == int(sys.argv[2]), s; print(d["wall_seconds"], s["items_per_second"])' "$work/$1.json" "$2"
}

echo "exec bench: $items items through jq, then a Python stream stage; $once_items through mode: once…" >&2
read -r jq_wall jq_rate < <(measure jq "$items")
read -r stream_wall stream_rate < <(measure stream "$items")
read -r once_wall once_rate < <(measure once "$once_items")
python3 - "$items" "$jq_wall" "$jq_rate" "$stream_wall" "$stream_rate" "$once_items" "$once_wall" "$once_rate" <<'PY'
import sys
items, jw, jr, sw, sr, oi, ow, orate = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6]), *map(float, sys.argv[7:9])
print(f"items                        {items}")
print(f"jq stage                     {jr:,.0f} items/s (run {jw:.2f} s, {items / jw:,.0f} items/s end to end)")
print(f"python stream exec stage     {sr:,.0f} items/s (run {sw:.2f} s, {items / sw:,.0f} items/s end to end)")
print(f"stream / jq                  {100 * sr / jr:.0f} % (stage rates)")
print(f"python exec, mode: once      {orate:,.1f} items/s ({oi} items, run {ow:.2f} s)")
PY
