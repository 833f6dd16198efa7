#!/usr/bin/env bash
# Baton's throughput next to the Postgres ceiling, measured in the same run on the same
# cluster (a durable one: fsync and synchronous_commit on, unlike the test cluster).
#
#   scripts/bench.sh BATON_BINARY
#
# 1. Baton: a BENCH_ITEMS-line JSONL (default 100 000) through jq → sql (upsert), timed,
#    with peak RSS (GNU time).
# 2. Ceiling: pgbench running the same claim statement and set-based commits (children
#    insert, effect insert, fenced done-mark) on the same number of items, no transform.
set -euo pipefail
baton=$(realpath "${1:?baton binary}")
items=${BENCH_ITEMS:-100000}
workers=${BENCH_WORKERS:-4}
batch=${BENCH_BATCH:-200}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/baton-bench.XXXXXX)
chmod 755 "$work"  # the server runs as postgres and must reach its folder
cluster="$work/pg"
cleanup() { "$here/test-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

BATON_CLUSTER_DURABLE=1 "$here/test-cluster.sh" start "$cluster" >/dev/null
admin="postgresql:///postgres?host=$cluster&user=postgres"
psql -qX "$admin" -c "CREATE DATABASE bench_baton" -c "CREATE DATABASE bench_ceiling" >/dev/null
db_baton="postgresql:///bench_baton?host=$cluster&user=postgres"
db_ceiling="postgresql:///bench_ceiling?host=$cluster&user=postgres"

echo "generating $items items…" >&2
python3 - "$items" > "$work/items.jsonl" <<'PY'
import json, sys
for i in range(1, int(sys.argv[1]) + 1):
    print(json.dumps({"id": i, "name": f"Item-{i}", "value": i % 1000, "tags": ["a", "b"]}))
PY

cat > "$work/bench.yaml" <<YAML
pipeline: bench
defaults:
  batch_size: $batch
source:
  jsonl: $work/items.jsonl
  key: .id
stages:
  - name: shape
    jq: '{id, name: (.name | ascii_downcase), score: (.value * 1.5)}'
  - name: load
    sql: >
      insert into bench_out (id, name, score) values (:id, :name, :score)
      on conflict (id) do update set name = excluded.name, score = excluded.score
YAML
psql -qX "$db_baton" -c "CREATE TABLE bench_out (id bigint PRIMARY KEY, name text, score float8)" >/dev/null
"$baton" migrate --database-url "$db_baton" >/dev/null

echo "baton: $items items, jq → sql, $workers workers, batch $batch…" >&2
/usr/bin/time -v -o "$work/time.txt" "$baton" run "$work/bench.yaml" --run bench --workers "$workers" \
  --json --progress none --database-url "$db_baton" > "$work/summary.json"
wall=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_seconds"])' "$work/summary.json")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$work/time.txt")
rows=$(psql -qAtX "$db_baton" -c "SELECT count(*) FROM bench_out")
[ "$rows" = "$items" ] || { echo "bench: expected $items rows, found $rows" >&2; exit 1; }

echo "ceiling: pgbench with the same statements…" >&2
"$baton" migrate --database-url "$db_ceiling" >/dev/null
psql -qX "$db_ceiling" >/dev/null <<SQL
CREATE TABLE bench_out (id bigint PRIMARY KEY, name text, score float8);
INSERT INTO baton.runs (pipeline, name, definition, definition_hash) VALUES ('bench', 'ceiling', '{}', 'h');
INSERT INTO baton.items (run_id, stage, key, payload, max_attempts)
SELECT 1, 'shape', i::text, jsonb_build_object('id', i, 'name', 'Item-' || i, 'value', i % 1000, 'tags', '["a","b"]'::jsonb), 3
FROM generate_series(1, $items) AS i;
ANALYZE baton.items;
SQL
# One transaction = one batch of one stage: claim (short transaction), then one commit with
# the next stage's items or the effect, and the fenced done-mark.
cat > "$work/shape.sql" <<SQL
SELECT gen_random_uuid() AS token \gset
WITH next AS (
  SELECT id FROM baton.items WHERE run_id = 1 AND stage = 'shape' AND state = 'pending' AND available_at <= now()
  ORDER BY available_at, id LIMIT $batch FOR UPDATE SKIP LOCKED)
UPDATE baton.items i SET state = 'running', attempt = i.attempt + 1, lease_token = ':token',
  leased_until = now() + interval '30 seconds', leased_by = 'pgbench', claimed_at = now()
FROM next WHERE i.id = next.id;
BEGIN;
INSERT INTO baton.items (run_id, stage, key, payload, parent_id, max_attempts)
  SELECT 1, 'load', key || '/0', jsonb_build_object('id', payload->'id', 'name', lower(payload->>'name'), 'score', (payload->>'value')::float8 * 1.5), id, 3
  FROM baton.items WHERE lease_token = ':token' AND state = 'running'
  ON CONFLICT (run_id, stage, key) DO NOTHING;
UPDATE baton.items SET state = 'done', finished_at = now(), lease_token = NULL, leased_until = NULL, stage_hash = 'h'
  WHERE lease_token = ':token' AND state = 'running';
COMMIT;
SQL
cat > "$work/load.sql" <<SQL
SELECT gen_random_uuid() AS token \gset
WITH next AS (
  SELECT id FROM baton.items WHERE run_id = 1 AND stage = 'load' AND state = 'pending' AND available_at <= now()
  ORDER BY available_at, id LIMIT $batch FOR UPDATE SKIP LOCKED)
UPDATE baton.items i SET state = 'running', attempt = i.attempt + 1, lease_token = ':token',
  leased_until = now() + interval '30 seconds', leased_by = 'pgbench', claimed_at = now()
FROM next WHERE i.id = next.id;
BEGIN;
INSERT INTO bench_out (id, name, score)
  SELECT (payload->>'id')::bigint, payload->>'name', (payload->>'score')::float8
  FROM baton.items WHERE lease_token = ':token' AND state = 'running'
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, score = excluded.score;
UPDATE baton.items SET state = 'done', finished_at = now(), lease_token = NULL, leased_until = NULL, stage_hash = 'h'
  WHERE lease_token = ':token' AND state = 'running';
COMMIT;
SQL
# Enough transactions to drain both stages (claims beyond the end are empty and cheap).
transactions=$(( (items / batch + 1) * 2 / workers + 10 ))
start=$(date +%s.%N)
pgbench -n -c "$workers" -j 2 -t "$transactions" -f "$work/shape.sql@1" -f "$work/load.sql@1" "$db_ceiling" > "$work/pgbench.txt" 2>&1 \
  || { cat "$work/pgbench.txt" >&2; exit 1; }
# Drain what the random script choice left (one client, in order).
while [ "$(psql -qAtX "$db_ceiling" -c "SELECT count(*) FROM baton.items WHERE state = 'pending'")" != "0" ]; do
  pgbench -n -c 1 -t 50 -f "$work/shape.sql@1" -f "$work/load.sql@1" "$db_ceiling" >/dev/null 2>&1
done
end=$(date +%s.%N)
ceiling_rows=$(psql -qAtX "$db_ceiling" -c "SELECT count(*) FROM bench_out")
[ "$ceiling_rows" = "$items" ] || { echo "bench: ceiling run wrote $ceiling_rows rows" >&2; exit 1; }

python3 - "$items" "$wall" "$rss" "$start" "$end" "$work/summary.json" "$cpu" <<'PY'
import json, sys
items, wall, rss, start, end, summary, cpu = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6], float(sys.argv[7])
ceiling = end - start
stages = json.load(open(summary))["stages"]
print(f"items                      {items}")
print(f"baton wall time            {wall:.2f} s")
print(f"baton throughput           {items / wall:,.0f} items/s (each item: 2 stages, jq then sql)")
for s in stages:
    print(f"  stage {s['name']:<8}           {s['items_per_second'] or 0:,.0f} items/s, p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms")
print(f"baton peak RSS             {rss / 1024:.1f} MiB")
print(f"baton CPU time             {cpu:.2f} s ({100 * cpu / wall:.0f} % of one core; the rest of the 2 cores is Postgres)")
print(f"postgres ceiling (pgbench) {items / ceiling:,.0f} items/s ({ceiling:.2f} s, same claim/commit statements, no transform)")
print(f"baton / ceiling            {100 * ceiling / wall:.0f} %")
PY
