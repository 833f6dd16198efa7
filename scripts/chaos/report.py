"""The summary table and the details of failing rounds."""


def _fmt_recovery(values):
    values = [v for v in values if v is not None]
    return f"{max(values):.1f}" if values else "-"


def table(results, scenarios):
    header = ["scenario", "rounds", "items", "lost", "duplicated", "stuck", "other", "worst recovery (s)"]
    rows = []
    for number, (name, _) in scenarios.items():
        rs = [r for r in results if r.scenario == number]
        if not rs:
            continue
        failed = sum(1 for r in rs if r.failed)
        rows.append([f"{number} {name}", f"{len(rs)}" + (f" ({failed} failed)" if failed else ""),
                     str(sum(r.items for r in rs)), str(sum(r.lost for r in rs)),
                     str(sum(r.duplicated for r in rs)), str(sum(r.stuck for r in rs)),
                     str(sum(len(r.other) for r in rs)), _fmt_recovery(r.recovery for r in rs)])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths)),
             "-|-".join("-" * w for w in widths)]
    for row in rows:
        lines.append(" | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def round_line(r, verbose=False):
    status = "FAIL" if r.failed else "ok"
    rec = f"{r.recovery:.1f}s" if r.recovery is not None else "-"
    line = (f"[{status:4}] {r.scenario} {r.name:12} round {r.index:<3} seed {r.seed:<16} items {r.items:<6} "
            f"faults {r.faults:<4} lost {r.lost} dup {r.duplicated} stuck {r.stuck} other {len(r.other)} "
            f"recovery {rec} ({r.seconds:.1f}s)" + ("  NO FAULT INJECTED" if not r.faults else ""))
    if verbose:
        line += "".join(f"\n         {n}" for n in r.notes)
    return line


def failure_details(r, repro):
    out = [f"--- scenario {r.scenario} {r.name}, round {r.index}, round seed {r.seed} ---",
           f"    reproduce: {repro}"]
    if r.summary:
        out.append(f"    {r.summary}")
    out += [f"    lost {r.lost}, duplicated {r.duplicated}, stuck {r.stuck}"]
    out += [f"    ! {m}" for m in r.other]
    out += [f"    faults: {n}" for n in r.notes]
    out += [f"    rows: {e}" for e in r.examples]
    for desc, tail in r.processes:
        out.append(f"    process {desc}")
        out += [f"        | {line}" for line in tail.splitlines()]
    return "\n".join(out)
