#!/usr/bin/env python3
"""Build the content pack's API payloads: `python scripts/build.py --out DIR`.

Writes DIR/pipelines/<name>.json, each exactly the body of
POST /api/v1/logs/config/pipelines. Reports every content problem, then exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contentkit.load import ROOT, load_pipelines, pipeline_body  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    problems: list = []
    packs = load_pipelines(Path(args.root), problems)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        print(f"build failed: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    out = Path(args.out) / "pipelines"
    try:
        out.mkdir(parents=True, exist_ok=True)
        for pack in packs:
            target = out / f"{pack.name}.json"
            target.write_text(json.dumps(pipeline_body(pack), indent=2, ensure_ascii=False) + "\n", "utf-8")
            print(f"wrote {target}")
    except OSError as exc:
        print(f"error: --out {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
