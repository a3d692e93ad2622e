#!/usr/bin/env python3
"""Check all content: `python scripts/validate.py`. Reports every problem with its
file and place, then exits 1 if there was any (0 otherwise)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contentkit.load import ROOT
from contentkit.validate import validate_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    problems = validate_all(Path(args.root))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"validate: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("validate: all content is valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
