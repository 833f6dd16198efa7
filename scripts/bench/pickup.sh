#!/usr/bin/env bash
# Pickup latency: how long an item enqueued by a commit waits before an IDLE worker claims
# it (`make bench` row 7).
#
# Two processes share one run. The producer (`baton run --workers N`, N = items) claims
# every item of the first stage at once and works them one after the other (concurrency 1,
# 0.7 s each); each commit enqueues two children into the second stage (1 s each). The
# committing worker claims the first child itself; the second waits for an idle worker:
# one of `baton work`'s, idle since its last item (backed off towards its longest poll, or
# listening). Per parent, that second child's wait (claimed_at − created_at of its batch,
# i.e. from the commit) is the pickup latency. Prints its median and p90 in milliseconds
# and how many parents were measured.
#   scripts/bench/pickup.sh BATON DATABASE_URL WORKDIR ITEMS [--poll-only]
set -euo pipefail
baton=$1 db=$2 work=$3 n=$4; shift 4
mkdir -p "$work"
seq 1 "$n" | sed 's/.*/{"id": &}/' > "$work/pickup.jsonl"
cat > "$work/pickup.yaml" <<YAML
pipeline: benchpickup
source:
  jsonl: $work/pickup.jsonl
  key: .id
stages:
  - name: feed
    exec:
      command: 'read -r line; sleep 0.7; echo "\$line"; echo "\$line"'
    concurrency: 1
    batch_size: 1
  - name: pick
    exec:
      command: "sleep 1; cat"
    concurrency: 4
    batch_size: 1
YAML
"$baton" migrate --database-url "$db" > /dev/null
"$baton" work --database-url "$db" --progress none --workers 2 --poll 0.1 "$@" > "$work/helper.out" 2> "$work/helper.err" &
helper=$!
sleep 1
"$baton" run "$work/pickup.yaml" --database-url "$db" --progress none --workers "$n" "$@" > "$work/pickup.out" 2> "$work/pickup.err" \
  || { cat "$work/pickup.err" >&2; kill "$helper"; exit 1; }
kill -TERM "$helper"; wait "$helper" || true
psql -qAtX "$db" -F ' ' -c "
  WITH r AS (SELECT id FROM baton.runs WHERE pipeline = 'benchpickup' ORDER BY id DESC LIMIT 1),
  waits AS (
    SELECT max(extract(epoch FROM claimed_at - created_at)) AS wait FROM baton.batches
    WHERE run_id = (SELECT id FROM r) AND stage = 'pick' GROUP BY parent_batch HAVING count(*) = 2
  )
  SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) * 1000)::numeric, 1),
         round((percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) * 1000)::numeric, 1), count(*)
  FROM waits"
