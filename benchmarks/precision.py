"""Precision and recall of every rule on a realistic organisation (issue 14).

Generates the emulator's realistic organisation (emulator/orgsim) twice from one
seed, without and with its attack set, runs hunt over each with the organisation's
GeoIP table, and prints, as Markdown for docs/detections.md:

- benign signals per rule and severity over the whole span, in the first week after
  the pack is installed (rules start learning with the first record), and per 1,000
  user-days;
- each attack step, the signals raised on its entity while it was happening.

    python benchmarks/precision.py                          # 300 people, 42 days, seed 1
    python benchmarks/precision.py --json docs/precision.json   # the figures docs/detections.md shows
    python benchmarks/precision.py --people 60 --days 42 --seed 2

Exit status 1 when the goal is missed (a benign signal of medium or above, more than
one low per 1,000 user-days, an attack step without a signal of low or above).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

from contentkit.model import SEVERITIES
from contentkit.precision import Measurement, measure
from emulator.orgsim import OrgSpec, generate


def org_lines(spec: OrgSpec) -> tuple[bytes, list[dict], int, list]:
    """The collector's NDJSON lines for the organisation, its GeoIP table, its user-days
    and attack steps (written by the organisation's own writer, as `collect` would)."""
    import tempfile

    org = generate(spec)
    with tempfile.TemporaryDirectory() as tmp:
        org.write(tmp)
        lines = Path(tmp, "zoom.ndjson").read_bytes()
    return lines, org.networks, org.user_days, org.attacks


def markdown(m: Measurement) -> str:
    out = io.StringIO()
    counts, week = m.by_rule(), m.first_week()
    out.write("| rule | benign signals (" + " / ".join(SEVERITIES) + ") | first week | per 1,000 user-days |\n")
    out.write("|---|---|---|---:|\n")
    for rule_id in sorted(set(counts) | {s for step in m.steps for s, _ in step.signals}):
        c, w = counts.get(rule_id, {}), week.get(rule_id, {})
        total = sum(c.values())
        out.write(
            f"| `{rule_id}` | {' / '.join(str(c.get(s, 0)) for s in SEVERITIES)} | {sum(w.values())} "
            f"| {1000 * total / m.user_days:.2f} |\n"
        )
    out.write("\n| attack step | entity | signals while it happened | seen |\n|---|---|---|---|\n")
    for step in m.steps:
        signals = ", ".join(f"`{r}` ({s})" for r, s in sorted(set(step.signals))) or "none"
        out.write(f"| {step.scenario}: {step.step} | {step.entity} | {signals} | {'yes' if step.seen else 'NO'} |\n")
    out.write(
        "\nPer 1,000 user-days: "
        + ", ".join(f"{s} {m.per_1000_user_days(s):.2f}" for s in SEVERITIES)
        + f" ({m.user_days:,} user-days).\n"
    )
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    started = time.perf_counter()
    benign, _, user_days, _ = org_lines(OrgSpec(people=args.people, days=args.days, seed=args.seed, attacks=False))
    # one GeoIP table for both runs, as one GeoIP database covers every address: the
    # attacked organisation's (it adds the attackers' networks)
    attacked, networks, _, steps = org_lines(OrgSpec(people=args.people, days=args.days, seed=args.seed, attacks=True))
    n_benign, n_attacked = benign.count(b"\n"), attacked.count(b"\n")
    print(
        f"organisation: {args.people} people, {args.days} days, seed {args.seed}: "
        f"{n_benign:,} benign lines, {n_attacked - n_benign:,} attack lines",
        flush=True,
    )
    m = measure(benign, networks, user_days, attacked, steps)
    print(f"measured in {time.perf_counter() - started:.1f} s\n")
    print(markdown(m))
    if args.json:
        figures = m.as_json()
        figures["command"] = "python benchmarks/precision.py " + " ".join(
            f"--{k} {getattr(args, k)}" for k in ("people", "days", "seed")
        )
        figures["machine"] = f"{os.cpu_count()} cores, Linux x86_64, CPython {platform.python_version()}"
        figures["organisation"] = f"{args.people} people over {args.days} days (emulator.orgsim, seed {args.seed})"
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    problems = m.problems()
    for p in problems:
        print(f"goal missed: {p}", file=sys.stderr)
    if not problems:
        print(
            "goal met: no benign signal of medium or above, at most 1 low per 1,000 user-days, every attack step seen"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
