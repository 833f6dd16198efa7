"""One round of a scenario: its own database, folder, seeded RNG, processes and result.

A scenario is a function `fn(round)`; it builds a workload, starts `baton` processes through
`round.run(...)`, injects its faults, waits for the processes and records exit codes and
the recovery time. The runner then ends whatever is left, checks the SQL invariants and
produces a RoundResult.
"""

import contextlib
import hashlib
import os
import random
import signal
import time
import traceback
from dataclasses import dataclass, field

import invariants
from cluster import HARNESS_APP, lit
import procs as procs_mod


def round_seed(seed, scenario, index):
    return int.from_bytes(hashlib.sha256(f"{seed}:{scenario}:{index}".encode()).digest()[:6], "big")


@dataclass
class RoundResult:
    scenario: int
    name: str
    index: int
    seed: int
    items: int = 0
    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    other: list = field(default_factory=list)
    recovery: float = None
    faults: int = 0          # faults injected (kills, restarts, pauses, failing answers...)
    notes: list = field(default_factory=list)
    examples: list = field(default_factory=list)
    processes: list = field(default_factory=list)  # (description, stderr tail or "")
    summary: str = ""
    seconds: float = 0.0

    @property
    def failed(self):
        return bool(self.lost or self.duplicated or self.stuck or self.other)


class Round:
    def __init__(self, harness, scenario, name, index):
        self.h = harness
        self.cluster = harness.cluster
        self.scenario = scenario
        self.index = index
        self.seed = round_seed(harness.seed, scenario, index)
        self.rng = random.Random(self.seed)
        self.db = f"chaos_s{scenario}_r{index}"
        self.run_name = f"s{scenario}r{index}"
        self.folder = os.path.join(harness.workdir, f"s{scenario}-r{index}")
        os.makedirs(self.folder, exist_ok=True)
        os.chmod(self.folder, 0o755)
        self.limit = harness.limit
        self.procs = []
        self.workload = None
        self.stack = contextlib.ExitStack()
        self.result = RoundResult(scenario, name, index, self.seed)
        self.tag = f"s{scenario}r{index}"

    # -- set-up -----------------------------------------------------------------------------

    def item_count(self):
        lo, hi = self.h.items_of(self.scenario)
        return lo if lo == hi else self.rng.randint(lo, hi)

    def prepare(self, workload):
        self.workload = workload
        self.result.items = workload.items
        self.cluster.create_database(self.db)
        invariants.load_expectations(self.cluster, self.db, workload, self.folder)

    # -- processes --------------------------------------------------------------------------

    def run(self, label, workers=None, url=None, env=None, limit=None):
        """Starts `baton run FILE --run NAME` for this round's workload."""
        args = ["run", self.workload.path, "--run", self.run_name, "--progress", "plain",
                "--database-url", url or self.cluster.url(self.db)]
        if workers:
            args += ["--workers", str(workers)]
        full_env = dict(self.workload.env)
        full_env.update(env or {})
        p = procs_mod.BatonProc(self.h.registry, self.h.binary, args, self.folder, self.folder, label,
                                limit or self.limit, env=full_env, tag=self.tag)
        self.procs.append(p)
        return p

    def expect_exit(self, proc, allowed, what):
        """Waits for `proc`; records a hung process (stuck, with a snapshot of the database
        just before its limit) or an exit code outside `allowed` (other)."""
        rc = proc.wait(timeout=max(0.0, proc.deadline - time.monotonic() - 1.0))
        if rc is None and proc.alive():
            self.snapshot(f"1s before the limit of {proc.label}")
            rc = proc.wait()
        if proc.hung:
            self.result.stuck += 1
            self.result.other.append(f"{what}: did not end within {proc.limit:.0f}s (SIGKILLed)")
            return rc
        if rc not in allowed:
            self.result.other.append(f"{what}: {proc.exit_text()}, expected exit {'/'.join(map(str, sorted(allowed)))}")
        return rc

    # -- observing --------------------------------------------------------------------------

    def sink_count(self):
        return self.cluster.try_int(self.db, "SELECT count(*) FROM sink", default=None, timeout=10)

    def expected_writes(self):
        return max(1, self.workload.items - self.workload.designed_failures)

    def progress(self):
        n = self.sink_count()
        return None if n is None else n / self.expected_writes()

    def wait_for(self, cond, timeout, procs=(), interval=0.05):
        """Polls `cond` until it is true (True), `timeout` passes or every process in
        `procs` has ended (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if cond():
                    return True
            except Exception:
                pass
            if procs and not any(p.alive() for p in procs):
                return False
            time.sleep(interval)
        return False

    def wait_progress(self, fraction, procs, timeout=None):
        return self.wait_for(lambda: (self.progress() or 0) >= fraction, timeout or self.limit, procs)

    def fault(self):
        """Counts one injected fault; returns its time."""
        self.result.faults += 1
        return time.monotonic()

    def note(self, text):
        self.result.notes.append(text)

    def snapshot(self, when):
        """What the database looks like (sessions, what they wait for, item states): for
        the report of a stuck round."""
        try:
            rows = self.cluster.psql("postgres", f"""
                SELECT pid, coalesce(state, '?'), coalesce(wait_event_type || ':' || wait_event, '-'),
                       coalesce(round(extract(epoch FROM now() - xact_start))::text || 's', '-'),
                       coalesce(array_to_string(pg_blocking_pids(pid), ','), ''),
                       regexp_replace(left(coalesce(query, ''), 90), '\\s+', ' ', 'g')
                FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND datname = {lit(self.db)}
                  AND coalesce(application_name, '') <> {lit(HARNESS_APP)}
                ORDER BY xact_start NULLS LAST LIMIT 12""", timeout=15)
            idle = [r for r in rows if r[1] == "idle" and not r[4]]
            self.note(f"{when}: {len(rows)} Baton session(s), {len(idle)} of them idle outside a transaction")
            for pid, state, wait, xact, blocked_by, query in rows:
                if state == "idle" and not blocked_by:
                    continue
                self.note(f"  pid {pid} {state} wait={wait} xact={xact}"
                          + (f" blocked-by={blocked_by}" if blocked_by else "") + f" | {query}")
            states = self.cluster.psql(self.db, "SELECT stage, state, count(*) FROM baton.items GROUP BY 1, 2 ORDER BY 1, 2")
            self.note(f"{when}: items " + (", ".join(f"{a}/{b}={c}" for a, b, c in states) or "(none committed)"))
        except Exception as e:
            self.note(f"{when}: no snapshot ({e})")

    # -- the end ----------------------------------------------------------------------------

    def abort(self):
        """Ends every process and helper of the round at once (the harness was interrupted)."""
        for p in self.procs:
            if p.alive():
                p.kill_group()
        procs_mod.kill_marked(f"{self.h.registry.mark}/{self.tag}")
        self.stack.close()

    def finish(self):
        """Ends every process of the round, checks the invariants, fills the result."""
        for p in self.procs:
            if p.alive():
                p.signal(signal.SIGCONT)
                p.kill_group()
                self.note(f"{p.label} was still running at the end of the round and was killed")
        procs_mod.kill_marked(f"{self.h.registry.mark}/{self.tag}")
        self.stack.close()
        r = self.result
        for p in self.procs:
            interesting = p.hung or (p.returncode not in (0, -9) and p.returncode is not None)
            r.processes.append((p.describe(), p.stderr_tail() if interesting else ""))
        if self.workload is not None:
            try:
                f = invariants.check(self.cluster, self.db, self.run_name, self.workload)
                r.lost += f.lost
                r.duplicated += f.duplicated
                r.stuck += f.stuck
                r.other += f.other
                r.examples += f.examples
                r.summary = f.summary
            except Exception as e:  # the harness must report, not crash
                r.other.append(f"invariant check failed: {e}")
        if not r.failed and not self.h.keep:
            self.cluster.drop_database(self.db)
        return r


def play(harness, scenario, name, fn, index):
    r = Round(harness, scenario, name, index)
    t0 = time.monotonic()
    try:
        fn(r)
    except KeyboardInterrupt:
        r.abort()
        raise
    except Exception as e:
        r.result.other.append(f"harness error: {e!r}")
        r.note(traceback.format_exc().strip().splitlines()[-1])
        r.note("".join(traceback.format_exc().splitlines(True)[-6:]).strip())
    result = r.finish()
    result.seconds = time.monotonic() - t0
    return result
