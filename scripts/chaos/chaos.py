#!/usr/bin/env python3
"""Baton's chaos harness: fault injection against real `baton` processes, a real (throwaway)
Postgres cluster and a local HTTP server, with SQL invariants checked after every round.

    python3 scripts/chaos/chaos.py [--binary .build/debug/baton] [--rounds N] [--seed S]
                                   [--scenario 1,4,sigkill] [--round K] [--short]

Prints one line per round, then the table; exits 1 if any round lost, duplicated or stuck
anything or broke another invariant (the failing rounds are printed with their seed and
what was seen), 2 on a harness set-up error. See docs/CHAOS.md.
"""

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import report  # noqa: E402
import rounds  # noqa: E402
from cluster import Cluster  # noqa: E402
from procs import Registry  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
SHORT_ROUNDS = {4: 4, 9: 3}  # the short version still pauses in every phase and tries every hang
SHORT_ITEMS = {5: 2000}      # the flaky server's retries and timeouts make that round the slowest


class Harness:
    """What every round needs: binary, seed, cluster, registry, limits (set in main)."""


def parse_scenarios(text):
    if not text or text == "all":
        return list(SCENARIOS)
    chosen = []
    by_name = {name: n for n, (name, _) in SCENARIOS.items()}
    for part in text.split(","):
        part = part.strip()
        if part.isdigit() and int(part) in SCENARIOS:
            chosen.append(int(part))
        elif part in by_name:
            chosen.append(by_name[part])
        else:
            raise SystemExit(f"chaos: unknown scenario {part!r}; choose from "
                             + ", ".join(f"{n} ({name})" for n, (name, _) in SCENARIOS.items()))
    return chosen


def parse_items(text):
    lo, _, hi = text.partition("-")
    lo, hi = int(lo), int(hi or lo)
    if lo < 1 or hi < lo:
        raise SystemExit("chaos: --items N or MIN-MAX")
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/debug/baton", help="the baton binary (default: %(default)s)")
    ap.add_argument("--seed", type=int, help="master seed (default: random, printed)")
    ap.add_argument("--rounds", type=int, help="rounds per scenario (default 50; --short: 2, zombie 4 (one per phase), "
                                               "hang-signal 3 (one per kind of hang))")
    ap.add_argument("--round", type=int, dest="only_round", help="run only this round index (reproduce one round)")
    ap.add_argument("--scenario", default="all", help="comma list of numbers or names (default: all)")
    ap.add_argument("--items", help="source items per round, N or MIN-MAX (default 5000-30000; --short 5000, "
                                         "flaky-http 2000)")
    ap.add_argument("--limit", type=float, help="wall-clock limit per baton process in seconds (default 120; --short 45)")
    ap.add_argument("--short", action="store_true", help="the quick version (make chaos-short)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print the faults of every round, not only of failing ones")
    ap.add_argument("--keep", action="store_true", help="keep the work folder and the databases of every round")
    args = ap.parse_args()

    h = Harness()
    h.binary = os.path.abspath(args.binary)
    if not os.access(h.binary, os.X_OK):
        print(f"chaos: no baton binary at {h.binary} (build it: swift build)", file=sys.stderr)
        return 2
    h.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2 ** 31)
    def rounds_of(number):
        if args.rounds:
            return args.rounds
        return SHORT_ROUNDS.get(number, 2) if args.short else 50
    h.items = parse_items(args.items) if args.items else ((5000, 5000) if args.short else (5000, 30000))
    h.items_of = lambda number: (SHORT_ITEMS.get(number, h.items[0]),) * 2 if args.short and not args.items else h.items
    h.limit = args.limit or (45.0 if args.short else 120.0)
    h.kills = (2, 3) if args.short else (3, 8)
    h.restarts = 2 if args.short else 3
    h.terminations = (3, 5) if args.short else (4, 10)
    h.keep = args.keep
    chosen = parse_scenarios(args.scenario)

    # Signals to the harness end it through the `finally` below (cleanup included).
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)  # also when started with SIGINT ignored (in the background)

    root = tempfile.mkdtemp(prefix="baton-chaos-", dir="/tmp")
    os.chmod(root, 0o755)
    h.workdir = os.path.join(root, "rounds")
    os.makedirs(h.workdir)
    h.registry = Registry(uuid.uuid4().hex[:12])
    h.cluster = Cluster(REPO, os.path.join(root, "cluster"))

    print(f"chaos: seed {h.seed}  binary {h.binary}  rounds {args.rounds or ('2-4' if args.short else 50)}  items {h.items[0]}"
          + (f"-{h.items[1]}" if h.items[1] != h.items[0] else "")
          + f"  process limit {h.limit:.0f}s  scenarios {','.join(map(str, chosen))}", flush=True)
    results, status, t0 = [], 0, time.monotonic()
    try:
        url = h.cluster.start()
        print(f"chaos: cluster {url}  work folder {root}", flush=True)
        for number in chosen:
            name, fn = SCENARIOS[number]
            for index in [args.only_round] if args.only_round is not None else range(rounds_of(number)):
                result = rounds.play(h, number, name, fn, index)
                results.append(result)
                print(report.round_line(result, args.verbose), flush=True)
    except KeyboardInterrupt as e:
        print(f"\nchaos: interrupted ({e or 'SIGINT'}); cleaning up", file=sys.stderr)
        status = 130
    except Exception as e:
        print(f"chaos: harness error: {e}", file=sys.stderr)
        status = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = h.registry.kill_all()
        h.registry.close()
        h.cluster.stop()
        if left:
            print(f"chaos: killed {left} leftover process(es)", file=sys.stderr)

    failing = [r for r in results if r.failed]
    print()
    print(report.table(results, SCENARIOS))
    print(f"\nchaos: {len(results)} rounds in {time.monotonic() - t0:.0f}s, {len(failing)} failed; seed {h.seed}")
    for r in failing:
        repro = (f"python3 scripts/chaos/chaos.py --binary {args.binary} --seed {h.seed} --scenario {r.scenario} "
                 f"--round {r.index}" + (" --short" if args.short else "")
                 + (f" --items {args.items}" if args.items else ""))
        print()
        print(report.failure_details(r, repro))
    if h.keep:
        print(f"\nchaos: everything kept in {root} (start the cluster again: scripts/test-cluster.sh start {root}/cluster)")
    elif failing or status:
        shutil.rmtree(os.path.join(root, "cluster"), ignore_errors=True)
        print(f"\nchaos: logs of every round kept in {h.workdir}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    if status:
        return status
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
