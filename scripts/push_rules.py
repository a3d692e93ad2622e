#!/usr/bin/env python3
"""Deploy the pack's detection rules to Datadog: `python scripts/push_rules.py [--dry-run] [--prune]`.

Upserts every rule of siem_rules/ keyed by its stable id (tag pack_id:<id>), so a
renamed rule is updated, not duplicated. Prints, per rule: create, update (with a
diff), unchanged, delete. Reads every page of the org's rules. An update sends only
the fields of Datadog's update schema. Reads DD_API_KEY, DD_APP_KEY and DD_SITE;
--api-url points elsewhere. Exit statuses below.

Correlation rules (type signal_correlation) are built with a placeholder for the Datadog id of
each rule they read (`ruleId: "pack_id:<rule id>"`, contentkit.push.PLACEHOLDER): log rules are
written first, their ids read from the listing or the create answers and put in, then the
correlation rules; pruned correlation rules are deleted before anything else, pruned log rules
last. With --tuning FILE (or --dir DIR holding DIR/suppressions/ from build.py --tuning), the
deployment's suppression rules are upserted and pruned the same way, by their pack_id tag.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contentkit.datadog_api import (
    SUPPRESSIONS_TOTAL,
    DatadogClient,
    DatadogError,
    add_connection_arguments,
    errors_text,
    expect_object,
    schema_fields,
)
from contentkit.errors import ContentError
from contentkit.load import PACK, ROOT, Problem, load_pipelines, load_rules, read_text, rule_body
from contentkit.push import (
    Action,
    check_references,
    correlation_payload,
    deployed_ids,
    is_correlation,
    plan,
    references,
    resolve,
    show_plan,
    suppression_local,
    suppression_update,
    suppression_view,
    update_body,
)
from contentkit.rule_tests import remote_test_payloads
from contentkit.tuning import SUPPRESSION_TYPE, SUPPRESSIONS, TuningError, compile_suppressions, load_tuning
from contentkit.validate import refuse_invalid

RULES = "/api/v2/security_monitoring/rules"
UPDATE_SCHEMA = "SecurityMonitoringRuleUpdatePayload"  # the body of PUT /rules/{rule_id}
SUPPRESSION_UPDATE_SCHEMA = "SecurityMonitoringSuppressionUpdateAttributes"  # PATCH .../suppressions/{id}
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
        return {p: correlation_payload(p, b, bodies) if is_correlation(b) else b for p, b in bodies.items()}, tests
    if refuse_invalid(root):  # every check of validate.py before anything is sent
        raise SystemExit(1)
    rules = load_rules(root)
    packs = load_pipelines(root)
    ids = {r.id for r in rules}
    bodies = {}
    for r in rules:
        body = rule_body(r)
        bodies[r.id] = correlation_payload(r.id, body, ids) if is_correlation(body) else body
    return bodies, {r.id: remote_test_payloads(r, packs) for r in rules if not is_correlation(bodies[r.id])}


def remote_rules(client: DatadogClient) -> list[dict]:
    """Every rule of the org: page[size]=100 pages until meta.page.total_count (or an empty page)."""
    return client.pages_by_number(RULES, "listing rules")


def remote_suppressions(client: DatadogClient) -> list[dict]:
    """Every suppression of the org (page[size]=100 pages until meta.page.totalCount), flattened."""
    items = client.pages_by_number(SUPPRESSIONS, "listing suppressions", total_keys=SUPPRESSIONS_TOTAL)
    return [suppression_view(expect_object(i, "listing suppressions item", attributes=dict)) for i in items]


def _check_built_suppression(pid: str, body, path: Path) -> dict:
    data = body.get("data") if isinstance(body, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(attributes, dict) or data.get("type") != SUPPRESSION_TYPE:
        raise ContentError(f"{path}: not a suppression (data.type suppressions, data.attributes); rebuild")
    for name, kind in (("name", str), ("enabled", bool), ("rule_query", str), ("tags", list)):
        if not isinstance(attributes.get(name), kind):
            raise ContentError(f"{path}: data/attributes/{name} missing or not a {kind.__name__}; rebuild")
    if f"pack_id:{pid}" not in attributes["tags"] or f"pack:{PACK}" not in attributes["tags"]:
        raise ContentError(f"{path}: the tags must hold pack:{PACK} and pack_id:{pid} (the file name)")
    return body


def local_suppressions(args, rule_ids) -> dict[str, dict] | None:
    """{pack_id: create body} from --tuning FILE or DIR/suppressions/ (build.py --tuning); None: neither,
    and suppressions are left alone."""
    if args.tuning:
        tuning = load_tuning(Path(args.tuning), rule_ids)
        for line in tuning.warnings:
            print(f"warning: {line}", file=sys.stderr)
        return compile_suppressions(tuning)
    folder = Path(args.dir) / "suppressions" if args.dir else None
    if folder is None or not folder.is_dir():
        return None
    return {
        path.stem: _check_built_suppression(path.stem, _read_json(path, args.dir), path)
        for path in sorted(folder.glob("*.json"))
    }


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
    parser.add_argument(
        "--tuning",
        metavar="FILE",
        help="also deploy FILE's facts as suppression rules (tuning.example.yaml); with --dir, DIR/suppressions/",
    )
    add_connection_arguments(parser)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tuning and args.dir and (Path(args.dir) / "suppressions").is_dir():
        parser.error("--tuning FILE and --dir DIR holding suppressions/: give one source of suppressions")
    tuned = bool(args.tuning or (args.dir and (Path(args.dir) / "suppressions").is_dir()))
    permission = "security_monitoring_rules_write" + (" and security_monitoring_suppressions_write" if tuned else "")
    try:
        with DatadogClient.from_env(args.api_url, timeout=args.timeout, permission=permission) as client:
            bodies, tests = local_rules(Path(args.root), args.dir)
            check_references(bodies)
            suppressions = local_suppressions(args, bodies)
            return push(client, args, bodies, tests, suppressions)
    except TuningError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: {len(exc.problems)} problem(s) in {args.tuning}", file=sys.stderr)
        return 1
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DatadogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _phases(actions: list[Action], bodies: dict, by_id: dict) -> list[Action]:
    """The order of the writes: correlation rules gone from the pack first (they read the others),
    then log rules, then correlation rules (the ids they read are known by then), then log rules gone."""

    def correlation(a: Action) -> bool:
        return is_correlation(bodies[a.pack_id] if a.pack_id in bodies else by_id.get(a.remote_id, {}))

    return (
        [a for a in actions if a.kind == "delete" and correlation(a)]
        + [a for a in actions if a.kind != "delete" and not correlation(a)]
        + [a for a in actions if a.kind != "delete" and correlation(a)]
        + [a for a in actions if a.kind == "delete" and not correlation(a)]
    )


def push(client: DatadogClient, args, bodies: dict, tests: dict, suppressions: dict | None = None) -> int:
    remote = remote_rules(client)
    ids = deployed_ids(remote)
    # correlation rules compared with the ids deployed now; a rule not yet deployed stays a placeholder
    planned = {pid: resolve(pid, b, ids, partial=True) if is_correlation(b) else b for pid, b in bodies.items()}
    by_id = {r["id"]: r for r in remote}
    writes = show_plan(_phases(plan(planned, remote, args.prune), bodies, by_id))
    fields = schema_fields("v2", UPDATE_SCHEMA)
    for a in writes:  # a field the update cannot carry is refused before anything is written
        if a.kind == "update":
            update_body(a.pack_id, planned[a.pack_id], by_id[a.remote_id], fields, UPDATE_SCHEMA)
    sup_writes: list[Action] = []
    if suppressions is not None:
        sup_remote = remote_suppressions(client)
        sup_by_id = {s["id"]: s for s in sup_remote}
        local = {pid: suppression_local(b) for pid, b in suppressions.items()}
        sup_writes = show_plan(plan(local, sup_remote, args.prune))
    if args.validate_remote:
        for action in writes:
            body = planned.get(action.pack_id)
            if action.kind == "delete" or body is None or references(body):
                continue  # a correlation rule reading a rule not yet created: Datadog cannot validate it yet
            status, answer = client.request("POST", f"{RULES}/validation", json=body)
            if status not in (200, 204):
                print(f"error: {action.pack_id}: Datadog rejects the rule: {errors_text(answer)}", file=sys.stderr)
                return 1
        for action in sup_writes:
            if action.kind == "delete" or suppressions is None:
                continue
            status, answer = client.request("POST", f"{SUPPRESSIONS}/validation", json=suppressions[action.pack_id])
            if status not in (200, 204):
                print(
                    f"error: {action.pack_id}: Datadog rejects the suppression: {errors_text(answer)}",
                    file=sys.stderr,
                )
                return 1
    if args.test_remote:
        for action in writes:
            if action.kind == "delete" or not tests.get(action.pack_id):
                continue
            payloads = tests[action.pack_id]
            status, answer = client.request(
                "POST", f"{RULES}/test", json={"rule": planned[action.pack_id], "ruleQueryPayloads": payloads}
            )
            expected = [p["expectedResult"] for p in payloads]
            if status != 200:
                print(f"error: {action.pack_id}: Datadog cannot test the rule: {errors_text(answer)}", file=sys.stderr)
                return 1
            results = expect_object(answer, f"testing {action.pack_id}", results=list)["results"]
            if results != expected:
                print(
                    f"error: {action.pack_id}: Datadog's test results {results} differ from the expected {expected}",
                    file=sys.stderr,
                )
                return 1
    total = len(writes) + len(sup_writes)
    if args.dry_run:
        print(f"dry run: {total} change(s) not written")
        return 0
    for action in writes:
        body = bodies.get(action.pack_id)
        if body is not None and is_correlation(body):
            body = resolve(action.pack_id, body, ids)  # every id it reads is known now
        if action.kind == "create":
            status, answer = client.request("POST", RULES, json=body)
            if status < 300:
                ids[action.pack_id] = expect_object(answer, f"creating {action.pack_id}", id=str)["id"]
        elif action.kind == "update":
            assert body is not None and action.remote_id is not None
            update = update_body(action.pack_id, body, by_id[action.remote_id], fields, UPDATE_SCHEMA)
            status, answer = client.request("PUT", f"{RULES}/{action.remote_id}", json=update)
        else:
            status, answer = client.request("DELETE", f"{RULES}/{action.remote_id}")
        if status >= 300:
            print(f"error: {action.kind} {action.pack_id}: HTTP {status}: {errors_text(answer)}", file=sys.stderr)
            return 4
    sup_fields = schema_fields("v2", SUPPRESSION_UPDATE_SCHEMA)
    for action in sup_writes:
        assert suppressions is not None
        if action.kind == "create":
            status, answer = client.request("POST", SUPPRESSIONS, json=suppressions[action.pack_id])
        elif action.kind == "update":
            patch = suppression_update(suppressions[action.pack_id], sup_by_id[action.remote_id], sup_fields)
            status, answer = client.request("PATCH", f"{SUPPRESSIONS}/{action.remote_id}", json=patch)
        else:
            status, answer = client.request("DELETE", f"{SUPPRESSIONS}/{action.remote_id}")
        if status >= 300:
            print(f"error: {action.kind} {action.pack_id}: HTTP {status}: {errors_text(answer)}", file=sys.stderr)
            return 4
    print(f"done: {total} change(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
