"""The SQL invariants checked after every round.

The harness loads what must be true into two tables of the round's database:
  chaos_expected (id, v, fail_stage)      one row per source item: the value the sink must
                                          hold, or the stage index where it must fail
  chaos_expected_items (stage, key, state) every item the run must have, with its terminal
                                          state (done / failed)
and compares them with the sink table and baton.runs / baton.items / baton.attempts (only
the contract's columns).

Counted:
  lost        expected sink rows that are missing
  duplicated  sink rows beyond one per id
  stuck       items still pending/running, +1 if the run is not finished while none is
              (or was never created)
  other       every other broken invariant, as messages (wrong values, unexpected rows,
              items missing or in the wrong state, failed items without attempt history,
              the run's final state)
"""

from dataclasses import dataclass, field

from cluster import lit


@dataclass
class Findings:
    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    other: list = field(default_factory=list)
    examples: list = field(default_factory=list)   # offending rows, for the report
    summary: str = ""

    def add(self, more):
        self.lost += more.lost
        self.duplicated += more.duplicated
        self.stuck += more.stuck
        self.other += more.other
        self.examples += more.examples


def load_expectations(cluster, db, workload, folder):
    rows_path, items_path = workload.write_expectations(folder)
    cluster.psql(db, """
        CREATE TABLE IF NOT EXISTS chaos_expected (id bigint PRIMARY KEY, v text, fail_stage int);
        CREATE TABLE IF NOT EXISTS chaos_expected_items (stage text, key text, state text, PRIMARY KEY (stage, key))""")
    cluster.copy_in(db, "chaos_expected", rows_path)
    cluster.copy_in(db, "chaos_expected_items", items_path)


def run_row(cluster, db, run):
    rows = cluster.psql(db, f"SELECT id, state FROM baton.runs WHERE name = {lit(run)}") \
        if cluster.value(db, "SELECT to_regclass('baton.runs') IS NOT NULL") == "t" else []
    return (int(rows[0][0]), rows[0][1]) if rows else (None, None)


def check(cluster, db, run, workload):
    f = Findings()
    run_id, state = run_row(cluster, db, run)
    if run_id is None:
        # Nothing was ever seeded: the run is not finished (stuck), nothing was lost.
        f.stuck += 1
        f.other.append(f"run {run} was never created (every process ended before)")
        if _has_sink(cluster, db) and cluster.int_value(db, "SELECT count(*) FROM sink"):
            _check_sink(cluster, db, f)
        return f
    _check_sink(cluster, db, f)
    _check_items(cluster, db, run_id, f)
    expected_state = "failed" if workload.designed_failures else "succeeded"
    nonterminal = f.stuck
    if state == "running":
        if nonterminal == 0:
            f.stuck += 1
        f.other.append(f"run is still `running` ({nonterminal} items pending/running)")
    elif state != expected_state:
        f.other.append(f"run ended `{state}`, expected `{expected_state}`"
                       f" ({workload.designed_failures} items designed to fail)")
    if workload.attempts:
        _check_attempts(cluster, db, run_id, workload, f)
    return f


def _has_sink(cluster, db):
    return cluster.value(db, "SELECT to_regclass('sink') IS NOT NULL") == "t"


def _check_sink(cluster, db, f):
    exp = cluster.psql(db, """SELECT count(*), coalesce(sum(id), 0),
        md5(coalesce(string_agg(id || '=' || v, ',' ORDER BY id), ''))
        FROM chaos_expected WHERE fail_stage IS NULL""")[0]
    if not _has_sink(cluster, db):
        f.lost += int(exp[0])
        f.summary = f"sink missing; expected {exp[0]} rows"
        return
    got = cluster.psql(db, """SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0),
        md5(coalesce(string_agg(id || '=' || v, ',' ORDER BY id, v), '')) FROM sink""")[0]
    f.summary = (f"sink count={got[0]} distinct={got[1]} sum={got[2]} md5={got[3][:8]}; "
                 f"expected count={exp[0]} sum={exp[1]} md5={exp[2][:8]}")
    f.lost += cluster.int_value(db, """SELECT count(*) FROM chaos_expected e
        WHERE e.fail_stage IS NULL AND NOT EXISTS (SELECT 1 FROM sink s WHERE s.id = e.id)""")
    f.duplicated += cluster.int_value(db, """SELECT coalesce(sum(c - 1), 0) FROM
        (SELECT count(*) AS c FROM sink GROUP BY id HAVING count(*) > 1) d""")
    unexpected = cluster.int_value(db, """SELECT count(*) FROM sink s WHERE NOT EXISTS
        (SELECT 1 FROM chaos_expected e WHERE e.id = s.id AND e.fail_stage IS NULL)""")
    wrong = cluster.int_value(db, """SELECT count(*) FROM sink s JOIN chaos_expected e USING (id)
        WHERE e.fail_stage IS NULL AND s.v IS DISTINCT FROM e.v""")
    if unexpected:
        f.other.append(f"{unexpected} sink rows for ids that must not be there (designed to fail or unknown)")
    if wrong:
        f.other.append(f"{wrong} sink rows with a wrong value")
    if f.lost:
        ids = cluster.psql(db, """SELECT e.id FROM chaos_expected e WHERE e.fail_stage IS NULL
            AND NOT EXISTS (SELECT 1 FROM sink s WHERE s.id = e.id) ORDER BY e.id LIMIT 8""")
        f.examples.append("lost ids: " + ", ".join(r[0] for r in ids))
    if f.duplicated:
        ids = cluster.psql(db, "SELECT id, count(*) FROM sink GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 8")
        f.examples.append("duplicated ids (rows): " + ", ".join(f"{r[0]}×{r[1]}" for r in ids))
    if wrong:
        rows = cluster.psql(db, """SELECT s.id, s.v, e.v FROM sink s JOIN chaos_expected e USING (id)
            WHERE e.fail_stage IS NULL AND s.v IS DISTINCT FROM e.v ORDER BY s.id LIMIT 5""")
        f.examples.append("wrong values (id, got, expected): " + "; ".join(" ".join(map(str, r)) for r in rows))


def _check_items(cluster, db, run_id, f):
    for stage, state, n in cluster.psql(db, f"""SELECT stage, state, count(*) FROM baton.items
            WHERE run_id = {run_id} AND state IN ('pending', 'running') GROUP BY 1, 2 ORDER BY 1, 2"""):
        f.stuck += int(n)
        f.other.append(f"{n} items of stage {stage} still `{state}`")
    for stage, n in cluster.psql(db, f"""SELECT x.stage, count(*) FROM chaos_expected_items x
            WHERE NOT EXISTS (SELECT 1 FROM baton.items i WHERE i.run_id = {run_id}
                              AND i.stage = x.stage AND i.key = x.key)
            GROUP BY 1 ORDER BY 1"""):
        f.other.append(f"{n} expected items of stage {stage} do not exist")
    for stage, got, want, n in cluster.psql(db, f"""SELECT x.stage, i.state, x.state, count(*)
            FROM chaos_expected_items x JOIN baton.items i
              ON i.run_id = {run_id} AND i.stage = x.stage AND i.key = x.key
            WHERE i.state <> x.state AND i.state NOT IN ('pending', 'running')
            GROUP BY 1, 2, 3 ORDER BY 1, 2"""):
        f.other.append(f"{n} items of stage {stage} ended `{got}` instead of `{want}`")
        ex = cluster.psql(db, f"""SELECT i.key, i.attempt, left(coalesce(i.last_error, ''), 160)
            FROM chaos_expected_items x JOIN baton.items i
              ON i.run_id = {run_id} AND i.stage = x.stage AND i.key = x.key
            WHERE x.stage = {lit(stage)} AND i.state = {lit(got)} AND x.state = {lit(want)} ORDER BY i.id LIMIT 3""")
        f.examples += [f"item {stage}/{k} {got} after {a} attempt(s): {e}" for k, a, e in ex]
    for stage, n in cluster.psql(db, f"""SELECT i.stage, count(*) FROM baton.items i
            WHERE i.run_id = {run_id} AND NOT EXISTS (SELECT 1 FROM chaos_expected_items x
                                                    WHERE x.stage = i.stage AND x.key = i.key)
            GROUP BY 1 ORDER BY 1"""):
        f.other.append(f"{n} unexpected items in stage {stage}")
    n = cluster.int_value(db, f"""SELECT count(*) FROM baton.items i WHERE i.run_id = {run_id}
        AND i.state = 'failed' AND NOT EXISTS (SELECT 1 FROM baton.attempts a WHERE a.item_id = i.id)""")
    if n:
        f.other.append(f"{n} failed items without any row in baton.attempts")


def _check_attempts(cluster, db, run_id, workload, f):
    """Scenario 5: attempts made and failed attempts recorded, per item of the http stage,
    against what the server's deterministic answers imply."""
    stage = workload.stages[0]
    rows = cluster.psql(db, f"""SELECT i.key, i.attempt,
            (SELECT count(*) FROM baton.attempts a WHERE a.item_id = i.id AND a.outcome <> 'lease_expired'),
            (SELECT count(*) FROM baton.attempts a WHERE a.item_id = i.id AND a.outcome = 'lease_expired')
        FROM baton.items i WHERE i.run_id = {run_id} AND i.stage = {lit(stage)}""")
    bad_made, bad_failed, expired = [], [], 0
    for key, attempt, failed, lease_expired in rows:
        if int(key) in workload.ambiguous:
            continue
        _, made_want, failed_want = workload.attempts[int(key)]
        expired += int(lease_expired)
        if int(attempt) != made_want:
            bad_made.append(f"{key}: attempt={attempt} expected {made_want}")
        if int(failed) != failed_want:
            bad_failed.append(f"{key}: {failed} failed attempts recorded, expected {failed_want}")
    if bad_made:
        f.other.append(f"{len(bad_made)} http items with a wrong attempt count")
        f.examples += bad_made[:5]
    if bad_failed:
        f.other.append(f"{len(bad_failed)} http items whose baton.attempts history does not match the server's answers")
        f.examples += bad_failed[:5]
    if expired:
        f.other.append(f"{expired} attempts ended by lease expiry (none expected: nothing was paused)")
