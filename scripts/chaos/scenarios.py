"""The nine fault scenarios. Each is `fn(round)`: it builds the round's workload, drives
real `baton run` processes, injects its fault and records exit codes and the recovery time
(seconds from the last fault to the run finishing). The SQL invariants are checked by the
runner afterwards (rounds.Round.finish).
"""

import signal
import time

import workload
from flaky_http import FAILING, FlakyServer, flaky_policy
from cluster import lit
from procs import marked
from proxy import FreezableProxy

LEASE = 2.0           # `lease: 2s` of the pipelines below
PAST_LEASE = LEASE + 1.5
SECOND_SIGNAL_LIMIT = 5.0


def _choose_workers(r):
    return r.rng.choice([1, 2, 4])


def _moment(r, procs, fraction):
    """Waits for a random moment: early (startup, migrate, setup, seeding) by time, or once
    the sink holds `fraction` of its rows."""
    if r.rng.random() < 0.25:
        delay = r.rng.uniform(0.02, 0.6)
        r.wait_for(lambda: False, delay, procs)
        return f"{delay:.2f}s after start"
    r.wait_progress(fraction, procs)
    return f"at {fraction:.0%} of the sink"


# 1 -------------------------------------------------------------------------------------------

def sigkill(r):
    wl = workload.etl(r.folder, r.rng, r.item_count(), lease="2s", batch=r.rng.choice([20, 50, 200]))
    r.prepare(wl)
    workers = _choose_workers(r)
    kills = sorted(r.rng.uniform(0.0, 0.9) for _ in range(r.rng.randint(*r.h.kills)))
    last_fault = None
    done = False
    for k, fraction in enumerate(kills):
        p = r.run(f"run{k}", workers)
        when = _moment(r, [p], fraction)
        if p.alive():
            p.signal(signal.SIGKILL)
            p.wait()
            last_fault = r.fault()
            r.note(f"SIGKILL {k + 1} {when}")
        else:
            r.note(f"run{k} ended by itself before its kill ({p.exit_text()})")
            if p.returncode == 0:
                done = True
                break
    for k in range(6):
        if done:
            break
        p = r.run(f"rerun{k}", workers)
        rc = p.wait()
        if rc == 0 or p.hung:
            break
        r.result.other.append(f"rerun{k} after SIGKILL: {p.exit_text()} (rerun again)")
    r.expect_exit(p, {0}, f"final rerun {p.label}")
    if last_fault and p.returncode == 0:
        r.result.recovery = p.ended - last_fault


# 2 -------------------------------------------------------------------------------------------

def pg_restart(r):
    wl = workload.etl(r.folder, r.rng, r.item_count(), lease="2s", batch=r.rng.choice([20, 50]))
    r.prepare(wl)
    p = r.run("run", _choose_workers(r))
    fractions = sorted(r.rng.uniform(0.05, 0.8) for _ in range(r.rng.randint(1, r.h.restarts)))
    last_fault = None
    for k, fraction in enumerate(fractions):
        if not r.wait_progress(fraction, [p]) or not p.alive():
            break
        mode = ("fast", "immediate")[(r.index + k) % 2]
        last_fault = r.fault()
        took = r.cluster.restart(mode)
        r.note(f"pg_ctl restart -m {mode} at {fraction:.0%} of the sink ({took:.1f}s)")
    if last_fault is None:
        r.note("the run ended before any restart")
    r.expect_exit(p, {0}, "baton run across Postgres restarts (no rerun)")
    if last_fault and p.returncode == 0:
        r.result.recovery = p.ended - last_fault


# 3 -------------------------------------------------------------------------------------------

def terminate_sessions(r):
    wl = workload.etl(r.folder, r.rng, r.item_count(), lease="2s", batch=r.rng.choice([20, 50]))
    r.prepare(wl)
    p = r.run("run", _choose_workers(r))
    target = r.rng.randint(*r.h.terminations)
    killed, last_fault, errors = 0, None, 0
    while p.alive() and killed < target:
        r.wait_for(lambda: False, r.rng.uniform(0.1, 0.6), [p])
        try:
            sessions = [s[0] for s in r.cluster.baton_sessions(r.db)]
        except Exception as e:
            errors += 1
            if errors == 1:
                r.note(f"listing sessions failed: {e}")
            continue
        if not sessions or not p.alive():
            continue
        victims = r.rng.sample(sessions, min(len(sessions), r.rng.randint(1, 2)))
        n = r.cluster.terminate(victims)
        if n:
            killed += n
            last_fault = r.fault()
    r.note(f"pg_terminate_backend: {killed} Baton session(s)")
    r.expect_exit(p, {0}, "baton run with terminated sessions (no rerun)")
    if last_fault and p.returncode == 0:
        r.result.recovery = p.ended - last_fault


# 4 -------------------------------------------------------------------------------------------

ZOMBIE_PHASES = ["seeding", "claim", "commit", "http"]


def _holding_claims(r):
    return r.cluster.int_value(r.db, "SELECT count(*) FROM baton.items WHERE state = 'running'") > 0


def _writing(r):
    """A Baton session is inside a transaction that has written something."""
    return any(in_xact and has_xid for _, _, _, in_xact, has_xid in r.cluster.baton_sessions(r.db))


def zombie(r):
    phase = ZOMBIE_PHASES[r.index % len(ZOMBIE_PHASES)]
    server = FlakyServer().start()
    r.stack.callback(server.close)
    n = r.item_count()
    backlog = None
    if phase == "seeding":
        n, backlog = max(n, 8000), 500   # seeded in chunks of 5000, paced by backpressure
    wl = workload.http_chain(r.folder, r.rng, n, server.base_url, lease="2s", backlog=backlog,
                             slow_commit=phase == "commit")
    r.prepare(wl)
    a = r.run("A", _choose_workers(r), limit=3 * r.limit + 60)  # a fresh limit once continued
    conditions = {
        "seeding": lambda: 0 < r.cluster.int_value(r.db, "SELECT count(*) FROM baton.items WHERE stage = 'shape'") < n,
        "claim": lambda: _holding_claims(r),
        "commit": lambda: _writing(r),
        "http": lambda: server.in_flight > 0,
    }
    if phase != "seeding" and r.rng.random() < 0.6:
        r.wait_progress(r.rng.uniform(0.05, 0.5), [a])
    if phase == "http":
        server.delay = 1.0    # the stage turns slow; A is paused with requests in flight
        r.wait_for(lambda: False, r.rng.uniform(0.2, 0.8), [a])
    seen = r.wait_for(conditions[phase], 20, [a], interval=0.01)
    if not a.alive():
        r.note(f"A ended before the pause ({a.exit_text()})")
        r.expect_exit(a, {0}, "A")
        return
    a.signal(signal.SIGSTOP)
    stopped = r.fault()
    server.delay = 0.0
    r.note(f"A SIGSTOPped in phase {phase}" + ("" if seen else " (phase not observed within 20s: a random moment)")
           + f", sink at {r.progress() or 0:.0%}")
    r.wait_for(lambda: False, PAST_LEASE)
    b = r.run("B", _choose_workers(r))
    r.expect_exit(b, {0}, "B (second process, must finish the run while A is paused)")
    if b.returncode == 0 and not b.hung:
        r.result.recovery = b.ended - stopped
    a.signal(signal.SIGCONT)
    a.extend(r.limit)
    r.expect_exit(a, {0, 75}, "A after SIGCONT")


# 5 -------------------------------------------------------------------------------------------

def flaky(r):
    max_attempts, timeout_s = 4, 2
    decide = flaky_policy(r.seed)
    server = FlakyServer(decide, slow_seconds=0.2, timeout_seconds=timeout_s + 1.0)
    server.late_after = timeout_s / 2
    server.start()
    r.stack.callback(server.close)
    wl = workload.flaky_http(r.folder, r.rng, r.item_count(), server.base_url, decide, max_attempts, timeout_s)
    r.prepare(wl)
    r.note(f"{wl.designed_failures} items designed to fail; "
           f"{sum(m for _, m, _ in wl.attempts.values())} requests expected")
    # 4 workers (fewer make it slow: a batch commits when its slowest item is done); about
    # 4 ms per item on a debug build, so the limit grows with the items.
    p = r.run("run", 4, limit=max(r.limit, r.limit * wl.items / 5000))
    r.expect_exit(p, {1} if wl.designed_failures else {0}, "baton run against the flaky server")
    wrong = []
    wl.ambiguous = {int(k) for k in server.late if k.isdigit()}
    _judge_unplanned_timeouts(r, wl, server, decide, max_attempts)
    if server.late:
        r.note(f"{len(server.late)} keys had an answer slower than {server.late_after}s (loaded machine): "
               "their request counts are not compared")
    for i, (_, made, _) in wl.attempts.items():
        seen = server.decisions.get(str(i), [])
        if len(seen) != made and i not in wl.ambiguous:
            wrong.append(f"{i}: server got {len(seen)} requests ({','.join(seen)}), expected {made}")
    extra = set(server.decisions) - {str(i) for i in wl.attempts}
    if wrong:
        r.result.other.append(f"{len(wrong)} items: the server's request count differs from the expected attempts")
        r.result.examples += wrong[:5]
    if extra:
        r.result.other.append(f"the server got requests for {len(extra)} unknown keys")
    r.note(f"server answered {server.requests} requests")
    r.result.faults = sum(1 for seen in server.decisions.values() for d in seen if d in FAILING)


def _judge_unplanned_timeouts(r, wl, server, decide, max_attempts):
    """On a loaded machine a request can wait in the server's queue past the stage's timeout
    before it is even read: Baton rightly records a timeout the design did not call for, and
    the item's later answers move by one (each attempt is still one request). Such items are
    judged by the answers the server really gave, and their counts are not compared."""
    rows = r.cluster.psql(r.db, """SELECT i.key, a.attempt FROM baton.attempts a JOIN baton.items i ON i.id = a.item_id
        WHERE i.stage = 'call' AND a.error_class = 'http timeout'""")
    unplanned = {}
    for key, attempt in rows:
        if key.isdigit() and decide(key, int(attempt)) != "timeout":
            unplanned.setdefault(key, set()).add(int(attempt))
    for key, timed_out in unplanned.items():
        seen = server.decisions.get(key, [])
        state = "failed"
        for n in range(1, max_attempts + 1):
            if n in timed_out:
                continue
            if n > len(seen):
                break
            if seen[n - 1] not in FAILING:
                state = "done"
                break
            if seen[n - 1] == "400":
                break
        i = int(key)
        v, _ = wl.rows[i]
        wl.rows[i] = (v, None if state == "done" else 0)
        wl.ambiguous.add(i)
        r.cluster.psql(r.db, f"""UPDATE chaos_expected SET fail_stage = {"NULL" if state == "done" else 0} WHERE id = {i};
            DELETE FROM chaos_expected_items WHERE key = {lit(key)};
            INSERT INTO chaos_expected_items VALUES ('call', {lit(key)}, {lit(state)})
            {"" if state != "done" else f", ('load', {lit(key)}, 'done')"}""")
    if unplanned:
        r.note(f"{len(unplanned)} items saw a timeout the design did not call for (an answer queued past the "
               f"stage's timeout on a loaded machine): judged by the server's real answers")


# 6 -------------------------------------------------------------------------------------------

def four_processes(r):
    wl = workload.etl(r.folder, r.rng, r.item_count(), lease="2s", batch=r.rng.choice([20, 50, 200]))
    r.prepare(wl)
    slots = [r.run(f"p{i}-0", 2) for i in range(4)]
    kills = r.rng.randint(*r.h.kills)
    last_fault, done = None, 0
    for k in range(kills):
        r.wait_for(lambda: False, r.rng.uniform(0.2, 1.0), slots)
        alive = [i for i, p in enumerate(slots) if p.alive()]
        if not alive:
            break
        i = r.rng.choice(alive)
        slots[i].signal(signal.SIGKILL)
        slots[i].wait()
        last_fault = r.fault()
        done += 1
        slots[i] = r.run(f"p{i}-{k + 1}", 2)
    r.note(f"{done} SIGKILLs (each process restarted)")
    for p in r.procs:
        if p.returncode == -signal.SIGKILL and not p.hung:
            continue
        r.expect_exit(p, {0, 75}, f"process {p.label}")
    ended = [p.ended for p in slots if p.ended]
    if last_fault and ended and all(p.returncode == 0 or p.returncode == 75 for p in slots):
        r.result.recovery = max(ended) - last_fault


# 7 -------------------------------------------------------------------------------------------

def check_constraint(r):
    wl = workload.check_constraint(r.folder, r.rng, r.item_count(), 17, batch=r.rng.choice([7, 50, 200]))
    r.prepare(wl)
    p = r.run("run", _choose_workers(r))
    r.expect_exit(p, {1}, "baton run with CHECK violations")
    r.result.faults = wl.designed_failures
    rid = r.cluster.value(r.db, f"SELECT id FROM baton.runs WHERE name = '{r.run_name}'")
    if rid:
        bad = r.cluster.int_value(r.db, f"""SELECT count(*) FROM baton.items WHERE run_id = {rid}
            AND state = 'failed' AND coalesce(error_class, '') NOT LIKE '%23514%'""")
        if bad:
            r.result.other.append(f"{bad} failed items without error class sqlstate 23514 (check_violation)")


# 8 -------------------------------------------------------------------------------------------

def frozen_network(r):
    proxy = FreezableProxy(r.cluster.socket_path)
    port = proxy.start()
    r.stack.callback(proxy.close)
    wl = workload.etl(r.folder, r.rng, r.item_count(), lease="2s", batch=r.rng.choice([20, 50]))
    r.prepare(wl)
    a = r.run("A", _choose_workers(r), url=f"postgresql://postgres@127.0.0.1:{port}/{r.db}",
              limit=3 * r.limit + 60)  # a fresh limit once thawed
    fraction = r.rng.uniform(0.05, 0.6)
    r.wait_progress(fraction, [a])
    if not a.alive():
        r.note(f"A ended before the freeze ({a.exit_text()})")
        r.expect_exit(a, {0}, "A")
        return
    proxy.freeze()
    frozen = r.fault()
    r.note(f"network of A frozen at {fraction:.0%} of the sink ({proxy.connections} connections)")
    r.wait_for(lambda: False, PAST_LEASE)
    b = r.run("B", _choose_workers(r))
    r.expect_exit(b, {0}, "B (direct connection, must finish the run while A's network is frozen)")
    if b.returncode == 0 and not b.hung:
        r.result.recovery = b.ended - frozen
    proxy.thaw()
    a.extend(r.limit)
    r.note(f"thawed after {time.monotonic() - frozen:.1f}s")
    r.expect_exit(a, {0, 75}, "A after the thaw")


# 9 -------------------------------------------------------------------------------------------

HANG_VARIANTS = ["jq", "exec", "http"]
SIGNAL_PAIRS = [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGINT),
                (signal.SIGTERM, signal.SIGINT), (signal.SIGINT, signal.SIGTERM)]


def hanging_transforms(r):
    variant = HANG_VARIANTS[r.index % len(HANG_VARIANTS)]
    first, second = SIGNAL_PAIRS[r.rng.randrange(len(SIGNAL_PAIRS))]
    server = None
    if variant == "http":
        server = FlakyServer().start()
        r.stack.callback(server.close)
        hang = {"on": True}
        server.hang_keys = lambda key: hang["on"] and key.isdigit() and int(key) % workload.HANG_EVERY == 0
    n = r.item_count()
    if variant == "exec":
        n = min(n, 600)   # one process per item: slow
    wl = workload.hanging(r.folder, r.rng, n, variant, server.base_url if server else None)
    r.prepare(wl)
    a = r.run("A", _choose_workers(r), env={"CHAOS_HANG": "1"})
    r.wait_progress(r.rng.uniform(0.05, 0.3), [a], timeout=6)
    hung = r.wait_for(lambda: r.cluster.int_value(r.db, f"""SELECT count(*) FROM baton.items
        WHERE stage = 'work' AND state = 'running' AND key ~ '^[0-9]+$' AND key::bigint % {workload.HANG_EVERY} = 0""") > 0,
        10, [a], interval=0.1)
    r.wait_for(lambda: False, r.rng.uniform(0.2, 1.0), [a])
    if not a.alive():
        r.result.other.append(f"A ended before any signal although items hang ({a.exit_text()})")
    a.signal(first)
    r.fault()
    r.wait_for(lambda: False, r.rng.uniform(0.5, 1.5), [a])
    r.note(f"{variant} hang ({'a hanging item was in flight' if hung else 'no hanging item seen in flight'}); "
           f"{signal.Signals(first).name} then {signal.Signals(second).name}")
    if a.alive():
        a.signal(second)
        sent = time.monotonic()
        a.wait(timeout=SECOND_SIGNAL_LIMIT)
        if a.alive():
            a.kill_group()
            r.result.stuck += 1
            r.result.other.append(f"A did not end within {SECOND_SIGNAL_LIMIT:.0f}s of the second signal "
                                  f"({signal.Signals(second).name}); SIGKILLed")
        else:
            r.result.recovery = a.ended - sent
            _after_clean_exit(r, a)
    else:
        r.note(f"A ended after the first signal ({a.exit_text()})")
        _after_clean_exit(r, a)
    # Phase 2: the same file without the hang must finish the run, exactly.
    if server:
        hang["on"] = False
    b = r.run("B", _choose_workers(r), env={"CHAOS_HANG": "0"})
    r.expect_exit(b, {0}, "B (rerun without the hang)")


def _after_clean_exit(r, a):
    if a.returncode not in (75, 130):
        r.result.other.append(f"A after the signals: {a.exit_text()}, expected exit 75 or 130")
    left = marked(a.mark)
    if left:
        r.result.other.append(f"{len(left)} child process(es) of A still running after it exited")
    running = r.cluster.try_int(r.db, "SELECT count(*) FROM baton.items WHERE state = 'running'", default=0)
    if running:
        r.result.other.append(f"{running} items still `running` (leased) after A exited; "
                              "a second signal must release their leases")


SCENARIOS = {
    1: ("sigkill", sigkill),
    2: ("pg-restart", pg_restart),
    3: ("terminate", terminate_sessions),
    4: ("zombie", zombie),
    5: ("flaky-http", flaky),
    6: ("four-procs", four_processes),
    7: ("check-fail", check_constraint),
    8: ("frozen-net", frozen_network),
    9: ("hang-signal", hanging_transforms),
}
