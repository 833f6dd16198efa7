"""Helpers of scripts/bench.sh (data, summaries, the report). Subcommands:

    gen items N FILE            JSONL {"id","name","value","tags"}, ids 1..N
    gen http N FILE             JSONL {"id","owner","name"}, ids 1..N
    check SUMMARY N             a `baton run --json` summary: exit 0, every stage done == N, none failed
    field SUMMARY PATH          a value of a summary (dotted path, stages.NAME.field), or empty
    gnutime FILE                "RSS_KB CPU_SECONDS WALL_SECONDS" from a `/usr/bin/time -v` file
    report RESULTS MD           the table (stdout) and BENCHMARKS.md from the results file
    peers RESULTS MD            row 7 (make bench-peers): its table, as the last section of BENCHMARKS.md
"""
import json
import math
import re
import sys


def gen(kind: str, n: int, path: str) -> None:
    with open(path, "w") as f:
        step = 100_000
        for first in range(1, n + 1, step):
            last = min(first + step, n + 1)
            if kind == "items":
                f.write("".join(f'{{"id": {i}, "name": "Item-{i}", "value": {i % 1000}, "tags": ["a", "b"]}}\n'
                                for i in range(first, last)))
            else:
                f.write("".join(f'{{"id": {i}, "owner": "o{i % 50}", "name": "r{i}"}}\n' for i in range(first, last)))


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def check(path: str, n: int) -> None:
    s = load(path)
    problems = []
    if s.get("exit_code") != 0:
        problems.append(f"exit_code {s.get('exit_code')} ({s.get('exit_meaning')})")
    if (s.get("run") or {}).get("state") != "succeeded":
        problems.append(f"run state {(s.get('run') or {}).get('state')}")
    for st in s.get("stages", []):
        if st.get("done") != n:
            problems.append(f"stage {st.get('name')}: done {st.get('done')}, expected {n}")
        for k in ("failed", "pending", "running", "cancelled"):
            if st.get(k):
                problems.append(f"stage {st.get('name')}: {k} {st[k]}")
    if not s.get("stages"):
        problems.append("no stages in the summary")
    if problems:
        sys.exit(f"bench: {path}: " + "; ".join(problems))


def field(path: str, dotted: str) -> str:
    value = load(path)
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list):
            value = next((x for x in value if isinstance(x, dict) and x.get("name") == part), None)
        else:
            value = None
        if value is None:
            return ""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def gnutime(path: str) -> str:
    text = open(path).read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    wall_text = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1)
    wall = 0.0
    for part in wall_text.split(":"):
        wall = wall * 60 + float(part)
    return f"{rss} {user + system:.2f} {wall:.2f}"


# ---------------------------------------------------------------------------------------
# The report

def read_results(path: str) -> dict:
    r = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            r[key] = value
    return r


def num(r: dict, key: str):
    v = r.get(key, "")
    try:
        x = float(v)
        return None if math.isnan(x) else x
    except ValueError:
        return None


def count(n: float) -> str:
    n = int(n)
    return f"{n // 1_000_000} M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n:,}".replace(",", " ")


def rate(x) -> str:
    return "n/a" if x is None else f"{x:,.0f}".replace(",", " ") + "/s"


def mib(b) -> str:
    return f"{b / 1048576:,.0f} MiB".replace(",", " ") if b >= 10 * 1048576 else f"{b / 1048576:.1f} MiB"


def mark(ok) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def report(results_path: str, md_path: str) -> None:
    r = read_results(results_path)
    rows = []  # (workload, baton, reference, ratio, goal)
    base, small = int(num(r, "base.n")), int(num(r, "small.n"))

    # 1. the pipeline against psql
    bw, cp, ins = num(r, "base.wall"), num(r, "ref_base.copy"), num(r, "ref_base.insert")
    ref = cp + ins
    x = bw / ref
    rows.append((f"1. {count(base)} items jq → sql upsert, wall",
                 f"{bw:.1f} s ({rate(base / bw)})",
                 f"{ref:.1f} s (\\copy {cp:.1f} + insert…select {ins:.1f})",
                 f"{x:.1f}×", "≤ 4×" + mark(x <= 4)))

    # 2. flat cost
    sw = num(r, "small.wall")
    flat = (base / bw) / (small / sw)
    rows.append((f"2a. flat cost: items/s at {count(base)} vs {count(small)}",
                 rate(base / bw), rate(small / sw), f"{100 * flat:.0f} %", "≥ 90 %" + mark(flat >= 0.90)))
    total, live = num(r, "size.total"), num(r, "size.live")
    sx = total / live if live else float("inf")
    rows.append((f"2b. schema baton (minus runs) size after {count(base)} vs its live rows",
                 mib(total), mib(live) + " live", f"{sx:.1f}×", "≤ 2×" + mark(sx <= 2)))
    lat = r.get("latency", "n/a")
    rows.append((f"2c. claim→commit latency p95 / p99 ({count(base)} run)", lat, "—", "—", "reported"))

    # 3. seeding alone: baton run --seed-only, process wall
    seed, span = num(r, "seed.wall"), num(r, "seed.seed_seconds")
    # The faster of two \copy runs of the file (row 1's and one just after the seeding): the
    # reference varied by a third between runs on these shared cores.
    if "seed.copy" in r:
        cp = min(cp, num(r, "seed.copy"))
    sr = (base / seed) / (base / cp)
    spanned = f"; seeding span {span:.1f} s = {100 * cp / span:.0f} %" if span else ""
    rows.append((f"3. seeding alone {count(base)}, baton run --seed-only", f"{seed:.1f} s ({rate(base / seed)}){spanned}",
                 f"{cp:.1f} s ({rate(base / cp)}) \\copy → jsonb, the faster of two", f"{100 * sr:.0f} %", "≥ 70 %" + mark(sr >= 0.70)))

    # 4. http
    # The reference is the plain libcurl loop (the issue allows wrk or it): the same client
    # library, handles and concurrency, minus Baton. wrk is in the note; without a C compiler
    # the row falls back to it.
    hn, hr, raw = int(num(r, "http.n")), num(r, "http.rate"), num(r, "http.raw")
    conc = int(num(r, "http.concurrency"))
    loop = num(r, "http.curl_loop")
    ref, what = (loop, f"plain libcurl loop, {conc} in flight; wrk {rate(raw)}") if loop else (raw, f"wrk, {conc} connections")
    hx = hr / ref
    rows.append((f"4a. http stage, {count(hn)} items, local nginx",
                 rate(hr), f"{rate(ref)} ({what})", f"{100 * hx:.0f} %", "≥ 50 %" + mark(hx >= 0.5)))
    sn, srate, delay = int(num(r, "slow.n")), num(r, "slow.rate"), num(r, "slow.delay_ms")
    bound = conc / (delay / 1000)
    sx2 = srate / bound
    rows.append((f"4b. http stage, {count(sn)} items, server answering after {delay:.0f} ms",
                 rate(srate), f"{rate(bound)} (concurrency {conc} ÷ {delay:.0f} ms)", f"{100 * sx2:.0f} %",
                 "≥ 90 %" + mark(sx2 >= 0.9)))

    # 5. exec coprocess
    jq = num(r, "jq.rate")
    ex = num(r, "exec.rate")
    if ex is None:
        rows.append((f"5. exec stage (mode: stream) vs jq stage, {count(small)} items",
                     r.get("exec.na", "n/a"), rate(jq) + " (jq)", "n/a", "≥ 25 %"))
    else:
        e = ex / jq
        rows.append((f"5. exec stage (mode: stream) vs jq stage, {count(small)} items",
                     rate(ex), rate(jq) + " (jq)", f"{100 * e:.0f} %", "≥ 25 %" + mark(e >= 0.25)))

    # 7. pickup latency (LISTEN/NOTIFY vs poll only)
    if "pickup.notify.median" in r:
        pn, pp = num(r, "pickup.notify.median"), num(r, "pickup.poll.median")
        rows.append((f"7. pickup latency, commit → claim by an idle worker (median of {int(num(r, 'pickup.n'))})",
                     f"{pn:.0f} ms (LISTEN/NOTIFY)", f"{pp:.0f} ms (--poll-only)",
                     f"{pn / pp:.2f}×" if pp else "n/a", "reported"))

    # 6. the big run (only with BENCH_ITEMS above the base size)
    if "big.n" in r:
        big = int(num(r, "big.n"))
        gw = num(r, "big.wall")
        g = (big / gw) / (base / bw)
        rows.append((f"6a. {count(big)} items: items/s vs {count(base)}", rate(big / gw), rate(base / bw),
                     f"{100 * g:.0f} %", "≥ 80 %" + mark(g >= 0.8)))
        rss = num(r, "big.rss_kb") * 1024
        rows.append((f"6b. {count(big)} items: Baton peak RSS", mib(rss), f"{mib(num(r, 'base.rss_kb') * 1024)} at {count(base)}",
                     "—", "< 200 MB" + mark(rss < 200e6)))
        gref = num(r, "ref_big.copy") + num(r, "ref_big.insert")
        rows.append((f"6c. {count(big)} items: wall vs psql", f"{gw:.1f} s", f"{gref:.1f} s", f"{gw / gref:.1f}×",
                     "≤ 4×" + mark(gw / gref <= 4)))

    header = ("workload", "Baton", "reference", "ratio", "goal")
    table = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 5) + "|"]
    table += ["| " + " | ".join(row) + " |" for row in rows]
    notes = [line for key, line in sorted(r.items()) if key.startswith("note.")]
    meta = [r[k] for k in ("meta.date", "meta.machine", "meta.postgres", "meta.baton", "meta.sizes", "meta.elapsed", "meta.load") if k in r]

    print("\n".join(meta))
    print()
    print("\n".join(table))
    print()
    print("\n".join(f"- {n}" for n in notes))
    peers = peers_section(md_path)
    with open(md_path, "w") as f:
        f.write("# Baton benchmarks\n\n")
        f.write("Written by `make bench` (`scripts/bench.sh`); every number below comes from one run, on one "
                "durable Postgres cluster (fsync on, synchronous_commit on), Baton with default settings. "
                "The machine is small and shared by client and server: read the ratios, not the absolute figures. "
                "✓/✗: goal met or not.\n\n")
        f.write("\n".join(f"- {m}" for m in meta) + "\n\n")
        f.write("\n".join(table) + "\n\n")
        f.write("Notes:\n\n" + "\n".join(f"- {n}" for n in notes) + "\n")
        if peers:
            f.write("\n" + peers)


PEERS = "## Peers (make bench-peers)"


def peers_section(md_path: str) -> str:
    """The section `make bench-peers` keeps at the end of BENCHMARKS.md ('' if none)."""
    try:
        text = open(md_path).read()
    except FileNotFoundError:
        return ""
    at = text.find(PEERS)
    return text[at:] if at >= 0 else ""


def peers(results_path: str, md_path: str) -> None:
    """Row 7: replaces the peers section of BENCHMARKS.md (or adds it)."""
    r = read_results(results_path)
    n = int(num(r, "n"))
    b, q = n / num(r, "baton.wall"), n / num(r, "pgq.drain")
    x = b / q
    table = ["| workload | Baton | reference | ratio | goal |", "|---|---|---|---|---|",
             f"| 7. {count(n)} items: Baton jq → sql insert vs PgQueuer {r.get('pgq.version')} no-op jobs | "
             f"{rate(b)} | {rate(q)} | {x:.1f}× | ≥ 3×{mark(x >= 3)} |"]
    notes = [line for key, line in sorted(r.items()) if key.startswith("note.")]
    meta = [r[k] for k in sorted(r) if k.startswith("meta.")]
    section = (PEERS + "\n\n" + "\n".join(f"- {m}" for m in meta) + "\n\n" + "\n".join(table) + "\n\n"
               + "\n".join(f"- {line}" for line in notes) + "\n")
    print("\n".join(meta) + "\n\n" + "\n".join(table) + "\n\n" + "\n".join(f"- {line}" for line in notes))
    try:
        text = open(md_path).read()
    except FileNotFoundError:
        text = "# Baton benchmarks\n\n(`make bench` has not written its table here yet.)\n"
    at = text.find(PEERS)
    if at >= 0:
        text = text[:at]
    with open(md_path, "w") as f:
        f.write(text.rstrip("\n") + "\n\n" + section)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        gen(args[0], int(args[1]), args[2])
    elif cmd == "check":
        check(args[0], int(args[1]))
    elif cmd == "field":
        print(field(args[0], args[1]))
    elif cmd == "gnutime":
        print(gnutime(args[0]))
    elif cmd == "report":
        report(args[0], args[1])
    elif cmd == "peers":
        peers(args[0], args[1])
    else:
        sys.exit(__doc__)
