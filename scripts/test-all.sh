#!/usr/bin/env bash
# Everything `make test` runs, inside scripts/with-test-db.sh (BATON_TEST_DATABASE_URL set):
#   1. the Swift test suite;
#   2. the pipelines' own tests: `baton test pipelines/` (SQL rolled back, no network);
#   3. a documentation comment on every public symbol of the Baton library (symbol graph);
#   4. the example package using Baton as a library (Examples/SwiftStages), built on its own
#      and run against a fresh database of the test cluster;
#   5. the short chaos suite (real baton processes, faults injected; a cluster of its own).
set -euo pipefail
swift=${SWIFT:-swift}
admin=${BATON_TEST_DATABASE_URL:?run inside scripts/with-test-db.sh}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# At most a few tests at once: the end-to-end tests start baton processes and Postgres
# sessions, and on a 2-core machine a free-for-all starves the timing of all of them.
SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-4} "$swift" test

echo "== baton test pipelines/" >&2
.build/debug/baton test pipelines/ --database-url "$admin"

echo "== public API documentation" >&2
"$swift" package dump-symbol-graph --minimum-access-level public >/dev/null
python3 scripts/check-public-docs.py "$(find .build -path '*symbolgraph/Baton.symbols.json' | head -n 1)"

echo "== Examples/SwiftStages (Baton as a library)" >&2
"$swift" build --package-path Examples/SwiftStages
db_url() { python3 -c 'import re, sys; print(re.sub(r"^(postgres(?:ql)?://[^/?]*)(/[^?]*)?", lambda m: m.group(1) + "/" + sys.argv[2], sys.argv[1], count=1))' "$admin" "$1"; }
PGOPTIONS="-c client_min_messages=warning" psql -qX "$admin" -c "DROP DATABASE IF EXISTS baton_example" -c "CREATE DATABASE baton_example" >/dev/null
example=$(db_url baton_example)
"$("$swift" build --package-path Examples/SwiftStages --show-bin-path)/greetings" "$example"
rows=$(psql -qAtX "$example" -c "SELECT string_agg(id || '=' || text, '; ' ORDER BY id) FROM greetings")
expected="1=Hello, Ada!; 2=Bonjour, Grace!; 4=Hallo, Linus!; 5=Hello, Barbara!"
[ "$rows" = "$expected" ] || { echo "example: expected rows [$expected], found [$rows]" >&2; exit 1; }
echo "example: rows ok" >&2

echo "== chaos (short)" >&2
python3 scripts/chaos/chaos.py --binary .build/debug/baton --short
