#!/usr/bin/env python3
"""Build the content pack's API payloads: `python scripts/build.py --out DIR`.

Writes DIR/pipelines/<name>.json (each exactly the body of
POST /api/v1/logs/config/pipelines), DIR/rules/<id>.json (each exactly the body
of POST /api/v2/security_monitoring/rules) plus DIR/rules/<id>.tests.json (the
rule's test logs as /rules/test payloads for push_rules.py --test-remote), and
DIR/dashboards/<name>.json (each exactly the body of POST /api/v1/dashboard).
A correlation rule (type signal_correlation) is written with the placeholder
`ruleId: "pack_id:<rule id>"` for each rule it reads (push_rules.py puts the Datadog
id in). With --tuning FILE, DIR/suppressions/<pack_id>.json: each exactly the body of
POST /api/v2/security_monitoring/configuration/suppressions (contentkit/tuning.py).
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
from contentkit.push import correlation_payload, is_correlation
from contentkit.rule_tests import remote_test_payloads
from contentkit.tuning import TuningError, compile_suppressions, load_tuning
from contentkit.validate import refuse_invalid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--out", metavar="DIR", help="output directory")
    parser.add_argument("--update-docs", action="store_true", help="regenerate docs/detections.md from the rules")
    parser.add_argument(
        "--update-lock", action="store_true", help="bump the version of changed content and rewrite content.lock.json"
    )
    parser.add_argument(
        "--tuning", metavar="FILE", help="also write FILE's facts as suppression rules (DIR/suppressions/)"
    )
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tuning and not args.out:
        parser.error("--tuning FILE needs --out DIR")
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
        from contentkit.docs import detections_markdown, load_precision

        target = Path(args.root) / "docs" / "detections.md"
        target.write_text(detections_markdown(rules, load_precision(args.root)), "utf-8")
        print(f"wrote {target}")
    suppressions: dict = {}
    if args.tuning:
        try:
            tuning = load_tuning(Path(args.tuning), [r.id for r in rules])
        except TuningError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            print(f"error: {len(exc.problems)} problem(s) in {args.tuning}", file=sys.stderr)
            return 1
        for line in tuning.warnings:
            print(f"warning: {line}", file=sys.stderr)
        suppressions = compile_suppressions(tuning)
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
                body = rule_body(rule)
                if is_correlation(body):
                    body = correlation_payload(rule.id, body, {r.id for r in rules})
                target.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", "utf-8")
                if is_correlation(body):
                    continue  # its inputs are other rules' signals: no /rules/test logs
                tests = remote_test_payloads(rule, packs)
                (rules_out / f"{rule.id}.tests.json").write_text(json.dumps(tests, indent=2) + "\n", "utf-8")
            print(f"wrote {len(rules)} rules to {rules_out}")
        if args.tuning:
            sup_out = Path(args.out) / "suppressions"
            sup_out.mkdir(parents=True, exist_ok=True)
            for stale in sup_out.glob("*.json"):  # an entry gone from the file is gone from the build
                stale.unlink()
            for pid, body in suppressions.items():
                (sup_out / f"{pid}.json").write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", "utf-8")
            print(f"wrote {len(suppressions)} suppressions to {sup_out}")
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
