"""A new detection rule in one step: `python scripts/new_rule.py zoom-<id> --ocsf-type ...`.

Writes siem_rules/<id>.yaml: a threshold rule on one OCSF type the pipeline produces
(`@ocsf.type_uid:300107`; an Entity Management type may add the entity type,
`@ocsf.entity.type:Setting`), with a firing test and a near miss taken from the
pipeline's own samples (raw Zoom records whose expected `ocsf.type_uid` is known), so
the new file passes every check at once and its author starts from working tests
rather than a blank page. What is left to write (the goal, the triage steps, the
false positives) is marked TODO in the rule's text, which review catches.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from .crossref import _descriptors_and_parsers, ocsf_classification
from .errors import ContentError
from .load import ROOT, load_pipelines
from .model import CONTENT_ID, SEVERITIES

RULE_ID = re.compile(CONTENT_ID)  # the rule schema's `id`
SAMPLE_ONLY = ("time", "account", "record_id")  # the rule tests fill these in themselves
TYPE_UID, ENTITY_TYPE, TYPE_NAME = "ocsf.type_uid", "ocsf.entity.type", "ocsf.type_name"
# Datadog search's special characters (contentkit.search), escaped in a value the scaffold writes
_SPECIAL = re.compile(r'([+\-=&|><!(){}\[\]^"\u201c\u201d~*?:\\#\s])')


def escape_value(value: str) -> str:
    """A value as a search term writes it (`User Group` as `User\\ Group`)."""
    return _SPECIAL.sub(r"\\\1", value)


def ocsf_types(processors: list[dict]) -> dict[tuple[str, str | None], str]:
    """{(type_uid, entity type or None): type name} of every OCSF descriptor the pipeline
    writes, parsed as crossref.ocsf_classification parses them: which entity types come
    with which type_uid (an Account Change has none; an Entity Management type has one)."""
    descriptors: set[str] = set()
    parsers: list = []
    _descriptors_and_parsers(processors, descriptors, parsers)
    types: dict[tuple[str, str | None], str] = {}
    for descriptor in descriptors:
        for parser in parsers:
            parsed = parser.parse(descriptor) or {}
            if TYPE_UID in parsed:
                entity = parsed.get(ENTITY_TYPE)
                key = (str(parsed[TYPE_UID]), None if entity is None else str(entity))
                types[key] = str(parsed.get(TYPE_NAME, parsed[TYPE_UID]))
    return types


def _samples(root: Path) -> tuple[set[str], dict[tuple[str, str | None], str], list[dict]]:
    """The type_uids the pipelines produce, their (type_uid, entity type) pairs, and the
    pipeline samples with their raw record."""
    problems: list = []
    packs = load_pipelines(root, problems)
    if problems or not packs:
        raise ContentError(f"the pipeline has problems; run scripts/validate.py ({problems[0] if problems else ''})")
    type_uids: set[str] = set()
    types: dict[tuple[str, str | None], str] = {}
    samples = []
    for pack in packs:
        type_uids |= ocsf_classification(pack.definition["processors"]).get(TYPE_UID, set())
        types.update(ocsf_types(pack.definition["processors"]))
        samples += pack.samples
    return type_uids, types, samples


def _test_log(sample: dict) -> dict:
    return {k: v for k, v in sample["log"].items() if k not in SAMPLE_ONLY}


def _expected(sample: dict, attribute: str) -> str | None:
    value = sample.get("expect", {}).get(attribute)
    return None if value is None else str(value)


def _by_number(values) -> list[str]:
    return sorted(values, key=int)


def rule_document(
    rule_id: str,
    name: str,
    ocsf_type: int,
    severity: str,
    tactic: str,
    technique: str,
    root: Path = ROOT,
    entity_type: str | None = None,
) -> dict:
    if not RULE_ID.match(rule_id):
        raise ContentError(f"rule id {rule_id!r}: lower-case letters, digits and '-', starting with 'zoom-'")
    if severity not in SEVERITIES:
        raise ContentError(f"--severity {severity!r}: one of {', '.join(SEVERITIES)}")
    if not re.fullmatch(r"TA00\d\d", tactic) or not re.fullmatch(r"T\d{4}(\.\d{3})?", technique):
        raise ContentError(f"--tactic {tactic!r} / --technique {technique!r}: MITRE ATT&CK ids such as TA0004 / T1098")
    type_uids, types, samples = _samples(root)
    type_uid = str(ocsf_type)
    if type_uid not in type_uids:
        raise ContentError(
            f"--ocsf-type {ocsf_type!r} is not an OCSF type_uid the pipeline produces (docs/attributes.md); "
            f"known: {', '.join(_by_number(type_uids))}"
        )
    entities = {e for (t, e) in types if t == type_uid and e is not None}
    if entity_type is not None and entity_type not in entities:
        known = (
            f"known with {type_uid}: {', '.join(sorted(entities))}" if entities else f"{type_uid} has no entity type"
        )
        raise ContentError(f"--entity-type {entity_type!r} is never produced with --ocsf-type {type_uid}; {known}")
    wanted = f"--ocsf-type {type_uid}" + (f" --entity-type {entity_type!r}" if entity_type is not None else "")
    hits = [
        s
        for s in samples
        if _expected(s, TYPE_UID) == type_uid and (entity_type is None or _expected(s, ENTITY_TYPE) == entity_type)
    ]
    if not hits:
        raise ContentError(
            f"{wanted}: no pipeline sample produces it; add one to pipelines/zoom_activity_logs/tests.yaml first"
        )
    hit = hits[0]
    near = [
        s
        for s in samples
        if s["log"].get("log_type") == hit["log"].get("log_type") and _expected(s, TYPE_UID) not in (None, type_uid)
    ]
    tests = [{"name": hit["name"], "fires": True, "status": severity, "logs": [{"log": _test_log(hit)}]}]
    if near:
        tests.append({"name": f"near miss, {near[0]['name']}", "fires": False, "logs": [{"log": _test_log(near[0])}]})
    query = f"source:zoom_activity_logs @{TYPE_UID}:{type_uid}"
    kind = f"`{next(n for (t, _), n in types.items() if t == type_uid)}`"
    if entity_type is not None:
        query += f" @{ENTITY_TYPE}:{escape_value(entity_type)}"
        kind += f" ({entity_type})"
    actor = "the user" if type_uid.startswith("3002") else "the operator"  # Authentication: the one signing in
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
                "query": query,
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
            f"{kind} event, grouped by {actor}.\n\n## Triage and response\n1. Confirm with "
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
    parser.add_argument(
        "--ocsf-type",
        required=True,
        type=int,
        metavar="TYPE_UID",
        help="the OCSF type_uid it detects, e.g. 300107 (see docs/attributes.md)",
    )
    parser.add_argument(
        "--entity-type",
        metavar="NAME",
        help="with an Entity Management type (3004xx): the entity type, e.g. Setting",
    )
    parser.add_argument("--severity", default="low", help="info, low (default), medium, high or critical")
    parser.add_argument("--tactic", default="TA0005", help="MITRE ATT&CK tactic id (default TA0005)")
    parser.add_argument("--technique", default="T1562", help="MITRE ATT&CK technique id (default T1562)")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        document = rule_document(
            args.id, args.name, args.ocsf_type, args.severity, args.tactic, args.technique, root, args.entity_type
        )
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
