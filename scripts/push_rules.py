#!/usr/bin/env python3
"""Deploy the pack's detection rules to Datadog: `python scripts/push_rules.py [--dry-run] [--prune]`.

Upserts every rule of siem_rules/ keyed by its stable id (tag pack_id:<id>), so a
renamed rule is updated, not duplicated. Prints, per rule: create, update (with a
diff), unchanged, delete. Reads every page of the org's rules. An update sends only
the fields of Datadog's update schema. Reads DD_API_KEY, DD_APP_KEY and DD_SITE;
--api-url points elsewhere. Exit statuses below.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contentkit.datadog_api import (
    DatadogClient,
    DatadogError,
    add_connection_arguments,
    errors_text,
    expect_object,
    schema_fields,
)
from contentkit.errors import ContentError
from contentkit.load import PACK, ROOT, Problem, load_pipelines, load_rules, read_text, rule_body
from contentkit.push import plan, show_plan, update_body
from contentkit.rule_tests import remote_test_payloads
from contentkit.validate import refuse_invalid

RULES = "/api/v2/security_monitoring/rules"
UPDATE_SCHEMA = "SecurityMonitoringRuleUpdatePayload"  # the body of PUT /rules/{rule_id}
# what a built rule must have for the plan to match it and Datadog to take it
_RULE_FIELDS = {"name": str, "type": str, "queries": list, "cases": list, "options": dict, "message": str, "tags": list}


def _read_json(path: Path, directory: str):
    """A built file's JSON, read as every content file is (contentkit.load.read_text: unreadable,
    binary and non-UTF-8 files named), or ContentError."""
    problems: list[Problem] = []
    text = read_text(path, problems, Path(directory))
    if text is None:
        raise ContentError(f"--dir {directory}: {problems[0]}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def _check_built_rule(pid: str, body, path: Path) -> dict:
    if not isinstance(body, dict):
        raise ContentError(f"{path}: not a rule (a JSON object); rebuild with scripts/build.py --out")
    for name, kind in _RULE_FIELDS.items():
        if not isinstance(body.get(name), kind):
            raise ContentError(
                f"{path}: `{name}` missing or not a {kind.__name__}; rebuild with scripts/build.py --out"
            )
    if f"pack_id:{pid}" not in body["tags"] or f"pack:{PACK}" not in body["tags"]:
        raise ContentError(f"{path}: the tags must hold pack:{PACK} and pack_id:{pid} (the file name)")
    return body


def _check_built_tests(payloads, path: Path) -> list[dict]:
    good = isinstance(payloads, list) and all(
        isinstance(p, dict) and isinstance(p.get("expectedResult"), bool) and isinstance(p.get("payload"), dict)
        for p in payloads
    )
    if not good:
        raise ContentError(f"{path}: not a list of /rules/test payloads (objects with expectedResult and payload)")
    return payloads


def local_rules(root: Path, directory: str | None) -> tuple[dict, dict]:
    """{pack_id: body} and {pack_id: /rules/test payloads}, built from the repo or read from --dir."""
    if directory:
        bodies, tests = {}, {}
        folder = Path(directory) / "rules"
        hint = f"run scripts/build.py --out {directory}"
        if not folder.is_dir():
            raise ContentError(f"--dir {directory}: no rules/ folder ({hint})")
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(".tests.json"):
                continue
            pid = path.stem
            bodies[pid] = _check_built_rule(pid, _read_json(path, directory), path)
            test_path = folder / f"{pid}.tests.json"
            if test_path.exists():
                tests[pid] = _check_built_tests(_read_json(test_path, directory), test_path)
        if not bodies:
            raise ContentError(f"--dir {directory}: no rules/*.json ({hint})")
        return bodies, tests
    if refuse_invalid(root):  # every check of validate.py before anything is sent
        raise SystemExit(1)
    rules = load_rules(root)
    packs = load_pipelines(root)
    return {r.id: rule_body(r) for r in rules}, {r.id: remote_test_payloads(r, packs) for r in rules}


def remote_rules(client: DatadogClient) -> list[dict]:
    """Every rule of the org: page[size]=100 pages until meta.page.total_count (or an empty page)."""
    return client.pages_by_number(RULES, "listing rules")


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
    add_connection_arguments(parser)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        with DatadogClient.from_env(
            args.api_url, timeout=args.timeout, permission="security_monitoring_rules_write"
        ) as client:
            bodies, tests = local_rules(Path(args.root), args.dir)
            return push(client, args, bodies, tests)
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DatadogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def push(client: DatadogClient, args, bodies: dict, tests: dict) -> int:
    remote = remote_rules(client)
    actions = plan(bodies, remote, args.prune)
    writes = show_plan(actions)
    by_id = {r["id"]: r for r in remote}
    fields = schema_fields("v2", UPDATE_SCHEMA)
    updates = {
        a.pack_id: update_body(a.pack_id, bodies[a.pack_id], by_id[a.remote_id], fields, UPDATE_SCHEMA)
        for a in writes
        if a.kind == "update"
    }
    if args.validate_remote:
        for action in writes:
            if action.kind == "delete":
                continue
            status, body = client.request("POST", f"{RULES}/validation", json=bodies[action.pack_id])
            if status not in (200, 204):
                print(f"error: {action.pack_id}: Datadog rejects the rule: {errors_text(body)}", file=sys.stderr)
                return 1
    if args.test_remote:
        for action in writes:
            if action.kind == "delete" or not tests.get(action.pack_id):
                continue
            payloads = tests[action.pack_id]
            status, body = client.request(
                "POST", f"{RULES}/test", json={"rule": bodies[action.pack_id], "ruleQueryPayloads": payloads}
            )
            expected = [p["expectedResult"] for p in payloads]
            if status != 200:
                print(f"error: {action.pack_id}: Datadog cannot test the rule: {errors_text(body)}", file=sys.stderr)
                return 1
            results = expect_object(body, f"testing {action.pack_id}", results=list)["results"]
            if results != expected:
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
            status, body = client.request("PUT", f"{RULES}/{action.remote_id}", json=updates[action.pack_id])
        else:
            status, body = client.request("DELETE", f"{RULES}/{action.remote_id}")
        if status >= 300:
            print(f"error: {action.kind} {action.pack_id}: HTTP {status}: {errors_text(body)}", file=sys.stderr)
            return 4
    print(f"done: {len(writes)} change(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
