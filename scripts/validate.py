#!/usr/bin/env python3
"""Check all content: `python scripts/validate.py`. Reports every problem with its
file and place, then exits 1 if there was any (0 otherwise).

`--tuning FILE` also checks a deployment's tuning file (every problem, then exit 1) and
lists, as warnings, the rule tests that must fire but are silenced by its suppressions,
applied as hunt and Datadog apply them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contentkit.load import ROOT
from contentkit.tuning import TuningError
from contentkit.validate import tuning_report, validate_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--tuning", metavar="FILE", help="also check this tuning file and what it silences")
    args = parser.parse_args(argv)
    problems = validate_all(Path(args.root))
    if args.tuning and not problems:
        try:
            for silenced in tuning_report(Path(args.root), Path(args.tuning)):
                print(f"warning: {silenced}", file=sys.stderr)
        except TuningError as exc:
            problems = list(exc.problems)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"validate: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("validate: all content is valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
