#!/usr/bin/env python3
"""Deploy the pack's detection rules to Datadog: `python scripts/push_rules.py [--dry-run] [--prune]`.

Upserts every rule of siem_rules/ keyed by its stable id (tag pack_id:<id>), so a
renamed rule is updated, not duplicated. Prints, per rule: create, update (with a
diff), unchanged, delete. Reads DD_API_KEY, DD_APP_KEY and DD_SITE; --api-url
points elsewhere. Exit: 0 ok, 1 content or remote validation/test failure,
2 usage, 3 keys refused, 4 Datadog API failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contentkit.datadog_api import DatadogClient, DatadogError
from contentkit.load import ROOT, load_pipelines, load_rules, rule_body
from contentkit.push import plan, show_plan
from contentkit.rule_tests import remote_test_payloads
from contentkit.validate import refuse_invalid

RULES = "/api/v2/security_monitoring/rules"


def local_rules(root: Path, directory: str | None) -> tuple[dict, dict]:
    """{pack_id: body} and {pack_id: /rules/test payloads}, built from the repo or read from --dir."""
    if directory:
        bodies, tests = {}, {}
        folder = Path(directory) / "rules"
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(".tests.json"):
                continue
            pid = path.stem
            bodies[pid] = json.loads(path.read_text("utf-8"))
            test_path = folder / f"{pid}.tests.json"
            if test_path.exists():
                tests[pid] = json.loads(test_path.read_text("utf-8"))
        if not bodies:
            raise SystemExit(f"error: --dir {directory}: no rules/*.json (run scripts/build.py --out {directory})")
        return bodies, tests
    if refuse_invalid(root):  # every check of validate.py before anything is sent
        raise SystemExit(1)
    rules = load_rules(root)
    packs = load_pipelines(root)
    return {r.id: rule_body(r) for r in rules}, {r.id: remote_test_payloads(r, packs) for r in rules}


def remote_rules(client: DatadogClient) -> list[dict]:
    rules: list[dict] = []
    page = 0
    while True:
        status, body = client.request("GET", RULES, params={"page[size]": 100, "page[number]": page})
        if status != 200 or not isinstance(body, dict):
            raise DatadogError(f"listing rules failed: HTTP {status}")
        data = body.get("data") or []
        rules.extend(data)
        total = ((body.get("meta") or {}).get("page") or {}).get("total_filtered_count")
        page += 1
        if len(data) < 100 or (total is not None and len(rules) >= total):
            return rules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument(
        "--dir", help="read built rules from DIR/rules/ (scripts/build.py --out DIR) instead of building"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--prune", action="store_true", help="delete pack rules that are no longer in the repository")
    parser.add_argument(
        "--validate-remote", action="store_true", help="validate every rule with Datadog before writing"
    )
    parser.add_argument("--test-remote", action="store_true", help="run every rule's tests on Datadog before writing")
    parser.add_argument("--api-url", help="Datadog API base URL (default: https://api.$DD_SITE)")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        bodies, tests = local_rules(Path(args.root), args.dir)
        with DatadogClient.from_env(args.api_url, permission="security_monitoring_rules_write") as client:
            return push(client, args, bodies, tests)
    except DatadogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def push(client: DatadogClient, args, bodies: dict, tests: dict) -> int:
    actions = plan(bodies, remote_rules(client), args.prune)
    writes = show_plan(actions)
    if args.validate_remote:
        for action in writes:
            if action.kind == "delete":
                continue
            status, body = client.request("POST", f"{RULES}/validation", json=bodies[action.pack_id])
            if status not in (200, 204):
                print(f"error: {action.pack_id}: Datadog rejects the rule: {_errors(body)}", file=sys.stderr)
                return 1
    if args.test_remote:
        for action in writes:
            if action.kind == "delete" or not tests.get(action.pack_id):
                continue
            payloads = tests[action.pack_id]
            status, body = client.request(
                "POST", f"{RULES}/test", json={"rule": bodies[action.pack_id], "ruleQueryPayloads": payloads}
            )
            results = (body or {}).get("results") if isinstance(body, dict) else None
            expected = [p["expectedResult"] for p in payloads]
            if status != 200 or results != expected:
                print(
                    f"error: {action.pack_id}: Datadog's test results {results} differ from the expected {expected}",
                    file=sys.stderr,
                )
                return 1
    if args.dry_run:
        print(f"dry run: {len(writes)} change(s) not written")
        return 0
    for action in writes:
        if action.kind == "create":
            status, body = client.request("POST", RULES, json=bodies[action.pack_id])
        elif action.kind == "update":
            status, body = client.request("PUT", f"{RULES}/{action.remote_id}", json=bodies[action.pack_id])
        else:
            status, body = client.request("DELETE", f"{RULES}/{action.remote_id}")
        if status >= 300:
            print(f"error: {action.kind} {action.pack_id}: HTTP {status}: {_errors(body)}", file=sys.stderr)
            return 4
    print(f"done: {len(writes)} change(s) written")
    return 0


def _errors(body) -> str:
    if isinstance(body, dict) and body.get("errors"):
        return "; ".join(str(e) for e in body["errors"])
    return "no details"


if __name__ == "__main__":
    sys.exit(main())
