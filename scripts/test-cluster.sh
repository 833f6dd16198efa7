#!/usr/bin/env bash
# A throwaway Postgres cluster for tests and benchmarks, on a unix socket in a folder of its
# own (no TCP port, nothing shared with a system cluster).
#   scripts/test-cluster.sh start DIR   → prints the connection URL on stdout
#   scripts/test-cluster.sh stop DIR
#   scripts/test-cluster.sh restart DIR [fast|immediate|smart]   (same socket folder and options)
set -euo pipefail

cmd=${1:?start|stop}
dir=$(realpath -m "${2:?folder}")

bindir=""
if command -v pg_ctl >/dev/null 2>&1; then bindir=$(dirname "$(command -v pg_ctl)"); fi
if [ -z "$bindir" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
[ -x "$bindir/pg_ctl" ] || { echo "test-cluster: pg_ctl not found; install the postgresql package" >&2; exit 69; }

# From /: the postgres user may not be allowed into the current folder (it would print
# "could not change directory to …: Permission denied").
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The server options: the same for start and restart, so a restarted cluster keeps its socket.
server_options() {
  # Tests trade durability for speed; benchmarks (BATON_CLUSTER_DURABLE=1) keep the defaults.
  local settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${BATON_CLUSTER_DURABLE:-0}" = 1 ] && settings=""
  echo "-k $dir -c listen_addresses='' -c max_connections=1000 -c shared_buffers=256MB -c max_locks_per_transaction=256 $settings"
}

cd /  # the server's user may not be able to enter the caller's folder

case "$cmd" in
start)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o "$(server_options)" \
    >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql:///postgres?host=$dir&user=postgres"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  ;;
restart)
  mode=${3:-fast}
  case "$mode" in fast|immediate|smart) ;; *) echo "test-cluster: restart mode is fast, immediate or smart" >&2; exit 64 ;; esac
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 restart -m "$mode" -o "$(server_options)" \
    >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
  ;;
*)
  echo "usage: $0 start|stop|restart DIR [MODE]" >&2; exit 64 ;;
esac
