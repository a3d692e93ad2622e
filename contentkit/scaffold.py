"""A new detection rule in one step: `python scripts/new_rule.py zoom-<id> --evt-name ...`.

Writes siem_rules/<id>.yaml: a threshold rule on one `evt.name` of the taxonomy,
with a firing test and a near miss taken from the pipeline's own samples (raw Zoom
records whose normalized `evt.name` is known), so the new file passes every check
at once and its author starts from working tests rather than a blank page. What is
left to write (the goal, the triage steps, the false positives) is marked TODO in
the rule's text, which review catches.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from .crossref import evt_names
from .errors import ContentError
from .load import ROOT, load_pipelines
from .model import CONTENT_ID, SEVERITIES

RULE_ID = re.compile(CONTENT_ID)  # the rule schema's `id`
SAMPLE_ONLY = ("time", "account", "record_id")  # the rule tests fill these in themselves


def _samples(root: Path) -> tuple[set[str], list[dict]]:
    """The taxonomy's evt.name values, and the pipeline samples with their raw record."""
    problems: list = []
    packs = load_pipelines(root, problems)
    if problems or not packs:
        raise ContentError(f"the pipeline has problems; run scripts/validate.py ({problems[0] if problems else ''})")
    taxonomy: set[str] = set()
    samples = []
    for pack in packs:
        taxonomy |= evt_names(pack.definition["processors"])
        samples += pack.samples
    return taxonomy, samples


def _test_log(sample: dict) -> dict:
    return {k: v for k, v in sample["log"].items() if k not in SAMPLE_ONLY}


def rule_document(
    rule_id: str, name: str, evt_name: str, severity: str, tactic: str, technique: str, root: Path = ROOT
) -> dict:
    if not RULE_ID.match(rule_id):
        raise ContentError(f"rule id {rule_id!r}: lower-case letters, digits and '-', starting with 'zoom-'")
    if severity not in SEVERITIES:
        raise ContentError(f"--severity {severity!r}: one of {', '.join(SEVERITIES)}")
    if not re.fullmatch(r"TA00\d\d", tactic) or not re.fullmatch(r"T\d{4}(\.\d{3})?", technique):
        raise ContentError(f"--tactic {tactic!r} / --technique {technique!r}: MITRE ATT&CK ids such as TA0004 / T1098")
    taxonomy, samples = _samples(root)
    if evt_name not in taxonomy:
        raise ContentError(
            f"--evt-name {evt_name!r} is not in the taxonomy (docs/attributes.md); known: {', '.join(sorted(taxonomy))}"
        )
    hits = [s for s in samples if s.get("expect", {}).get("evt.name") == evt_name]
    if not hits:
        raise ContentError(
            f"--evt-name {evt_name!r}: no pipeline sample produces it; add one to "
            "pipelines/zoom_activity_logs/tests.yaml first"
        )
    hit = hits[0]
    near = [
        s
        for s in samples
        if s["log"].get("log_type") == hit["log"].get("log_type")
        and s.get("expect", {}).get("evt.name") not in (None, evt_name)
    ]
    tests = [{"name": hit["name"], "fires": True, "status": severity, "logs": [{"log": _test_log(hit)}]}]
    if near:
        tests.append({"name": f"near miss, {near[0]['name']}", "fires": False, "logs": [{"log": _test_log(near[0])}]})
    return {
        "id": rule_id,
        "version": 1,
        "name": name,
        "summary": f"TODO: one sentence: what {name} means for the account.",
        "tactic": tactic,
        "technique": technique,
        "queries": [
            {
                "name": "a",
                "query": f"source:zoom_activity_logs @evt.name:{evt_name}",
                "aggregation": "count",
                "groupByFields": ["@usr.email"],
                "distinctFields": [],
            }
        ],
        "cases": [{"name": name, "status": severity, "condition": "a > 0"}],
        "options": {
            "detectionMethod": "threshold",
            "evaluationWindow": 0,
            "keepAlive": 3600,
            "maxSignalDuration": 86400,
        },
        "message": (
            f"## Goal\nTODO: what an attacker gains by {name.lower()}.\n\n## Strategy\nEvery "
            f"`{evt_name}` event, grouped by the operator.\n\n## Triage and response\n1. Confirm with "
            "{{@usr.email}} that the change was intended and approved (change ticket).\n2. TODO\n"
        ),
        "false_positives": ["TODO: the ordinary work that looks like this."],
        "peers": "none",
        "tests": tests,
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line text (the message) as a literal block, as the pack's rules are written."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def write_rule(document: dict, root: Path = ROOT) -> Path:
    path = root / "siem_rules" / f"{document['id']}.yaml"
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    try:
        with open(path, "x", encoding="utf-8") as out:  # never overwrite a rule
            out.write(text)
    except FileExistsError:
        raise ContentError(f"{path.relative_to(root)} exists already") from None
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scaffold a new detection rule in siem_rules/.")
    parser.add_argument("id", help="the rule's stable id: zoom-<words-with-dashes>")
    parser.add_argument("--name", required=True, help="the rule's title, e.g. 'Zoom user group deleted'")
    parser.add_argument("--evt-name", required=True, help="the evt.name it detects (see docs/attributes.md)")
    parser.add_argument("--severity", default="low", help="info, low (default), medium, high or critical")
    parser.add_argument("--tactic", default="TA0005", help="MITRE ATT&CK tactic id (default TA0005)")
    parser.add_argument("--technique", default="T1562", help="MITRE ATT&CK technique id (default T1562)")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        document = rule_document(args.id, args.name, args.evt_name, args.severity, args.tactic, args.technique, root)
        path = write_rule(document, root)
    except ContentError as exc:
        print(f"new_rule: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {path.relative_to(root)}; next (docs/contributing.md):\n"
        f"  1. edit its query, cases and TODO text; add tests (a case that fires, a near miss that does not)\n"
        f"  2. python -m pytest -q tests/test_rules.py -k {args.id}\n"
        f"  3. python scripts/build.py --update-lock --update-docs\n"
        f"  4. python scripts/validate.py"
    )
    return 0
