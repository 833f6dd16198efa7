#!/usr/bin/env bash
# `make run`: the demo pipeline (orders CSV → normalised orders → order lines) on the
# configured database, or on the local Postgres Baton starts in .baton/postgres.
set -uo pipefail
baton=${1:?baton binary}
cd "$(dirname "$0")/.."

"$baton" run pipelines/orders.yaml --run "demo-$(date -u +%Y%m%d-%H%M%S)"
status=$?

if [ -z "${BATON_DATABASE_URL:-}${DATABASE_URL:-}${PGHOST:-}${PGDATABASE:-}${PGSERVICE:-}" ] && command -v psql >/dev/null; then
  echo
  echo "What landed in the local Postgres (.baton/postgres):"
  psql -X "host=$PWD/.baton/postgres user=postgres dbname=baton" -c \
    "SELECT o.country, count(DISTINCT o.order_id) AS orders, count(l.*) AS lines, sum(l.amount) AS revenue
     FROM orders o JOIN order_lines l USING (order_id) GROUP BY 1 ORDER BY revenue DESC"
  echo "Next: $baton status · $baton --help · stop the local Postgres with: $baton postgres stop"
fi
exit $status
