#!/usr/bin/env python3
"""Build the content pack's API payloads: `python scripts/build.py --out DIR`.

Writes DIR/pipelines/<name>.json (each exactly the body of
POST /api/v1/logs/config/pipelines), DIR/rules/<id>.json (each exactly the body
of POST /api/v2/security_monitoring/rules) plus DIR/rules/<id>.tests.json (the
rule's test logs as /rules/test payloads for push_rules.py --test-remote), and
DIR/dashboards/<name>.json (each exactly the body of POST /api/v1/dashboard).
Reports every content problem, then exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contentkit.load import (
    ROOT,
    dashboard_body,
    load_dashboards,
    load_pipelines,
    load_rules,
    pipeline_body,
    rule_body,
)
from contentkit.rule_tests import remote_test_payloads
from contentkit.validate import refuse_invalid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--out", metavar="DIR", help="output directory")
    parser.add_argument("--update-docs", action="store_true", help="regenerate docs/detections.md from the rules")
    parser.add_argument(
        "--update-lock", action="store_true", help="bump the version of changed content and rewrite content.lock.json"
    )
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # every check of validate.py first (not the version lock when it is being updated):
    # a bad query or attribute must never reach a written payload
    if refuse_invalid(Path(args.root), lock=not args.update_lock):
        return 1
    problems: list = []
    packs = load_pipelines(Path(args.root), problems)
    rules = load_rules(Path(args.root), problems)
    dashboards = load_dashboards(Path(args.root), problems)
    if args.update_lock:
        from contentkit.lock import entries, read_lock, update, write_lock

        lock, done = update(entries(packs, rules, dashboards), read_lock(Path(args.root)), Path(args.root))
        write_lock(lock, Path(args.root))
        for line in done or ["nothing changed"]:
            print(line)
        packs = load_pipelines(Path(args.root), problems)  # versions may have moved
        rules = load_rules(Path(args.root), problems)
        dashboards = load_dashboards(Path(args.root), problems)
    if args.update_docs:
        from contentkit.docs import detections_markdown

        target = Path(args.root) / "docs" / "detections.md"
        target.write_text(detections_markdown(rules), "utf-8")
        print(f"wrote {target}")
    if not args.out:
        if not (args.update_docs or args.update_lock):
            parser.error("--out DIR is required (or --update-docs / --update-lock)")
        return 0
    out = Path(args.out) / "pipelines"
    try:
        out.mkdir(parents=True, exist_ok=True)
        for pack in packs:
            target = out / f"{pack.name}.json"
            target.write_text(json.dumps(pipeline_body(pack), indent=2, ensure_ascii=False) + "\n", "utf-8")
            print(f"wrote {target}")
        if rules:
            rules_out = Path(args.out) / "rules"
            rules_out.mkdir(parents=True, exist_ok=True)
            for rule in rules:
                target = rules_out / f"{rule.id}.json"
                target.write_text(json.dumps(rule_body(rule), indent=2, ensure_ascii=False) + "\n", "utf-8")
                tests = remote_test_payloads(rule, packs)
                (rules_out / f"{rule.id}.tests.json").write_text(json.dumps(tests, indent=2) + "\n", "utf-8")
            print(f"wrote {len(rules)} rules to {rules_out}")
        if dashboards:
            dash_out = Path(args.out) / "dashboards"
            dash_out.mkdir(parents=True, exist_ok=True)
            for dash in dashboards:
                target = dash_out / f"{dash.name}.json"
                target.write_text(json.dumps(dashboard_body(dash), indent=2, ensure_ascii=False) + "\n", "utf-8")
                print(f"wrote {target}")
    except OSError as exc:
        print(f"error: --out {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
