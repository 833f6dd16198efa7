#!/usr/bin/env bash
# The http stage's throughput next to the raw request rate of the same local server,
# measured in the same run.
#
#   scripts/bench-http.sh BATON_BINARY    (inside scripts/with-test-db.sh: uses BATON_TEST_DATABASE_URL)
#
# The server: nginx on 127.0.0.1 (one worker process) answering a small JSON document, with
# keep-alive. Raw rate: wrk, 64 connections, 5 s. Baton: BENCH_HTTP_ITEMS (default 30 000)
# items through an http stage at concurrency 64, each response committed to Postgres.
set -euo pipefail
baton=$(realpath "${1:?baton binary}")
items=${BENCH_HTTP_ITEMS:-30000}
work=$(mktemp -d /tmp/baton-bench-http.XXXXXX)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "bench-http: installing $tool" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
  fi
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
error_log $work/error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; return 200 '{"stars": 42, "language": "Swift"}'; }
  }
}
NGINX
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
server_pid=$!
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break
  sleep 0.1
done

echo "raw: wrk, 64 connections, 5 s against 127.0.0.1:$port…" >&2
wrk -t 2 -c 64 -d 5s "http://127.0.0.1:$port/repos/apple/swift" > "$work/wrk.txt"
raw=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")

python3 -c "
import json
for i in range(1, $items + 1):
    print(json.dumps({'id': i, 'owner': 'o%d' % (i % 50), 'name': 'r%d' % i}))" > "$work/items.jsonl"
cat > "$work/http.yaml" <<YAML
pipeline: benchhttp
source:
  jsonl: $work/items.jsonl
  key: .id
stages:
  - name: fetch
    http:
      url: "http://127.0.0.1:$port/repos/{{ .owner }}/{{ .name }}"
      into: repo
    concurrency: 64
    batch_size: 256
YAML
echo "baton: $items items through an http stage at concurrency 64…" >&2
"$baton" run "$work/http.yaml" --run bench --workers 4 --json --progress none \
  --database-url "$BATON_TEST_DATABASE_URL" > "$work/summary.json"
python3 - "$work/summary.json" "$raw" "$items" <<'PY'
import json, sys
summary, raw, items = json.load(open(sys.argv[1])), float(sys.argv[2]), int(sys.argv[3])
fetch = summary["stages"][0]
wall = summary["wall_seconds"]
assert fetch["done"] == items, f"expected {items} done, got {fetch['done']}"
print(f"local server raw rate (wrk)  {raw:,.0f} requests/s (nginx, 64 connections)")
print(f"baton http stage             {items / wall:,.0f} items/s end to end ({wall:.2f} s for {items} items, each committed to Postgres)")
print(f"  stage fetch                {fetch['items_per_second']:,.0f} items/s, p50 {fetch['p50_ms']} ms, p95 {fetch['p95_ms']} ms")
print(f"baton / raw                  {100 * items / wall / raw:.1f} %")
PY
