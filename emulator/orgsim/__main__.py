"""python -m emulator.orgsim --people 300 --days 42 --seed 1 --out DIR [--no-attacks] [--no-meetings]"""

from __future__ import annotations

import argparse
import sys

from . import OrgSpec, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.orgsim", description=__doc__)
    d = OrgSpec()
    parser.add_argument("--people", type=int, default=d.people, help=f"headcount (default {d.people})")
    parser.add_argument("--days", type=int, default=d.days, help=f"UTC days (default {d.days})")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--start", default=d.start, help=f"first UTC day (default {d.start})")
    parser.add_argument("--account", default=d.account, help="the collector's account name in the lines")
    parser.add_argument("--no-attacks", action="store_true", help="the benign organisation alone")
    parser.add_argument(
        "--no-meetings", action="store_true", help="leave the meeting activity report (and its attacks) out"
    )
    parser.add_argument("--out", required=True, help="directory for zoom.ndjson, geoip.json, attacks.json")
    args = parser.parse_args(argv)
    try:
        spec = OrgSpec(
            args.people, args.days, args.seed, not args.no_attacks, args.start, args.account, not args.no_meetings
        )
        org = generate(spec)
    except ValueError as exc:
        print(f"orgsim: {exc}", file=sys.stderr)
        return 2
    out = org.write(args.out)
    print(
        f"{out}: {len(org.records)} records, {len(org.attacks)} attack steps, {org.user_days} user-days",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
