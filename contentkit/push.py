"""Upsert planning for the push scripts: local content against what is deployed.

Objects of the pack carry `pack:zoom-activity-logs` and `pack_id:<stable id>`
tags; matching is by `pack_id`, so a renamed object is updated, not duplicated.
Only pack objects are ever updated or deleted.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Collection
from dataclasses import dataclass

from .errors import ContentError
from .load import PACK


@dataclass
class Action:
    kind: str  # create | update | unchanged | delete
    pack_id: str
    name: str
    remote_id: str | None = None
    diff: str = ""

    def line(self) -> str:
        return f"{self.kind} {self.pack_id} {self.name}".rstrip()

    def show(self) -> None:
        """The plan's line for this object on stdout, and the diff of an update."""
        print(self.line())
        if self.diff:
            print(self.diff)


def show_plan(actions: list[Action]) -> list[Action]:
    """Print every action; the ones that write (all but `unchanged`)."""
    for action in actions:
        action.show()
    return [a for a in actions if a.kind != "unchanged"]


def tag_value(tags, key: str) -> str | None:
    for tag in tags or []:
        k, _, v = str(tag).partition(":")
        if k == key:
            return v
    return None


def project(remote, local):
    """The part of `remote` that `local` describes: Datadog adds fields and defaults we do not manage."""
    if isinstance(local, dict) and isinstance(remote, dict):
        return {k: project(remote.get(k), v) for k, v in local.items()}
    if isinstance(local, list) and isinstance(remote, list):
        if len(local) == len(remote) and all(isinstance(x, dict) for x in local):
            return [project(r, mine) for r, mine in zip(remote, local, strict=True)]
        return remote
    return remote


def _dump(obj) -> list[str]:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def tag_identity(obj: dict) -> str | None:
    """The pack id of a deployed object tagged by the pack, else None (not ours)."""
    tags = obj.get("tags")
    if not isinstance(tags, list):
        return None
    return tag_value(tags, "pack_id") if tag_value(tags, "pack") == PACK else None


def plan(local: dict[str, dict], remote: list[dict], prune: bool, identify=tag_identity) -> list[Action]:
    deployed: dict[str, dict] = {}
    for obj in remote:
        pid = identify(obj)  # never touch what the pack did not create
        if pid and pid in deployed:
            # e.g. left by a push that did not read the whole listing: named, never touched
            print(
                f"warning: {pid} is deployed twice ({deployed[pid].get('id')} and {obj.get('id')}): "
                f"{obj.get('id')} is left alone; delete it in Datadog",
                file=sys.stderr,
            )
        elif pid:
            deployed[pid] = obj
    actions = []
    for pid, body in local.items():
        current = deployed.get(pid)
        if current is None:
            actions.append(Action("create", pid, body.get("name", "")))
            continue
        seen = project(current, body)
        if seen == body:
            actions.append(Action("unchanged", pid, body.get("name", ""), current.get("id")))
        else:
            diff = "\n".join(difflib.unified_diff(_dump(seen), _dump(body), "deployed", "repository", lineterm=""))
            actions.append(Action("update", pid, body.get("name", ""), current.get("id"), diff))
    if prune:
        for pid, obj in deployed.items():
            if pid not in local:
                actions.append(Action("delete", pid, obj.get("name", ""), obj.get("id")))
    return actions


def update_body(pack_id: str, body: dict, deployed: dict, fields: frozenset[str], schema: str) -> dict:
    """The part of a create body that an update sends: only the fields of the update schema
    (`fields`, the properties of `schema` in Datadog's OpenAPI description). A field the update
    cannot carry must already be as deployed; otherwise ContentError (it cannot change in place)."""
    stuck = sorted(k for k in body if k not in fields and project(deployed.get(k), body[k]) != body[k])
    if stuck:
        raise ContentError(
            f"{pack_id}: {', '.join(stuck)} cannot change in place ({schema} has no such field): "
            "delete the deployed object in Datadog, then push again"
        )
    return {k: v for k, v in body.items() if k in fields}


# -- correlation rules: built with placeholders, resolved once the rules they read exist ------------

SIGNAL_CORRELATION = "signal_correlation"  # SecurityMonitoringSignalRuleType
# A built correlation query's ruleId before push knows the Datadog id of the rule it reads:
# "pack_id:<rule id of this pack>". Datadog's rule ids never hold a colon, so it cannot be mistaken.
PLACEHOLDER = "pack_id:"


def is_correlation(body: dict) -> bool:
    return body.get("type") == SIGNAL_CORRELATION


def correlation_payload(pack_id: str, body: dict, pack_ids: Collection[str] = ()) -> dict:
    """A SecurityMonitoringSignalRuleCreatePayload from a rule body of type signal_correlation whose
    queries name the rules they correlate with `rule: <rule id of this pack>`: each becomes
    `ruleId: "pack_id:<rule id>"` (PLACEHOLDER), which push replaces with the deployed rule's id.
    So does a `ruleId` that is one of `pack_ids` (contentkit.load.rule_body writes the referenced
    rule's pack id there); any other `ruleId` is kept (a placeholder, or a Datadog rule's own id)."""
    from .datadog_api import schema_fields

    allowed = schema_fields("v2", "SecurityMonitoringSignalRuleQuery")
    queries = []
    for i, query in enumerate(body.get("queries") or []):
        if not isinstance(query, dict):
            raise ContentError(f"{pack_id}: queries/{i}: not an object")
        out = {k: v for k, v in query.items() if k != "rule"}
        if "rule" in query:
            if not isinstance(query["rule"], str) or not query["rule"]:
                raise ContentError(f"{pack_id}: queries/{i}/rule: the id of a rule of this pack")
            if "ruleId" in query:
                raise ContentError(f"{pack_id}: queries/{i}: give `rule` or `ruleId`, not both")
            out = {"ruleId": PLACEHOLDER + query["rule"], **out}
        elif out.get("ruleId") in pack_ids:
            out["ruleId"] = PLACEHOLDER + out["ruleId"]
        if "ruleId" not in out:
            raise ContentError(f"{pack_id}: queries/{i}: no `rule` (the id of the rule whose signals it reads)")
        unknown = sorted(set(out) - allowed)
        if unknown:
            raise ContentError(
                f"{pack_id}: queries/{i}/{unknown[0]}: not a field of a signal correlation query "
                f"(SecurityMonitoringSignalRuleQuery: {', '.join(sorted(allowed))})"
            )
        queries.append(out)
    return {**body, "type": SIGNAL_CORRELATION, "queries": queries}


def references(body: dict) -> list[str]:
    """The pack rule ids a built correlation body reads (its placeholders), in query order."""
    return [
        q["ruleId"][len(PLACEHOLDER) :]
        for q in body.get("queries") or []
        if isinstance(q.get("ruleId"), str) and q["ruleId"].startswith(PLACEHOLDER)
    ]


def check_references(bodies: dict[str, dict]) -> None:
    """Every placeholder names a rule of the pack that is not itself a correlation rule (those are
    written first, so their ids are known); else ContentError, before anything is written."""
    for pid, body in bodies.items():
        if not is_correlation(body):
            continue
        for i, ref in enumerate(references(body)):
            if ref not in bodies:
                raise ContentError(f"{pid}: queries/{i}/rule: {ref} is not a rule of this pack")
            if is_correlation(bodies[ref]):
                raise ContentError(f"{pid}: queries/{i}/rule: {ref} is a correlation rule; name a log detection rule")


def resolve(pack_id: str, body: dict, ids: dict[str, str], partial: bool = False) -> dict:
    """The body with each placeholder replaced by the Datadog id in `ids` ({pack id: rule id}).
    An id not known: left as is when `partial` (for planning), else ContentError."""
    queries = []
    for i, query in enumerate(body.get("queries") or []):
        rule = query.get("ruleId")
        if isinstance(rule, str) and rule.startswith(PLACEHOLDER):
            ref = rule[len(PLACEHOLDER) :]
            if ref in ids:
                query = {**query, "ruleId": ids[ref]}
            elif not partial:
                raise ContentError(f"{pack_id}: queries/{i}/rule: {ref} is not deployed (its creation failed?)")
        queries.append(query)
    return {**body, "queries": queries}


def deployed_ids(remote: list[dict], identify=tag_identity) -> dict[str, str]:
    """{pack id: Datadog id} of the deployed pack objects (the first of a duplicate, as plan() keeps)."""
    ids: dict[str, str] = {}
    for obj in remote:
        pid = identify(obj)
        if pid and pid not in ids:
            ids[pid] = obj["id"]
    return ids


# -- suppressions: JSON:API objects, matched by the same tags -----------------------------------

SUPPRESSION_DATES = ("start_date", "expiration_date")


def suppression_view(item: dict) -> dict:
    """A listed suppression (`id`, `attributes`) as plan() reads objects: its attributes and id."""
    attributes = item.get("attributes")
    return {**(attributes if isinstance(attributes, dict) else {}), "id": item["id"]}


def suppression_local(body: dict) -> dict:
    """A create body's attributes as plan() compares them: an absent date is None, so a date removed
    from the tuning file is an update (PATCH leaves a field it is not sent untouched)."""
    attributes = dict(body["data"]["attributes"])
    for key in SUPPRESSION_DATES:
        attributes.setdefault(key, None)
    return attributes


def suppression_update(body: dict, deployed: dict, fields: frozenset[str]) -> dict:
    """The PATCH body (SecurityMonitoringSuppressionUpdateRequest): the create attributes the update
    schema has (`fields`), and null for a date set in Datadog and no longer in the file ("If set to
    null, the expiration date is removed")."""
    attributes = {k: v for k, v in body["data"]["attributes"].items() if k in fields}
    for key in SUPPRESSION_DATES:
        if key not in attributes and deployed.get(key) is not None:
            attributes[key] = None
    return {"data": {"type": body["data"]["type"], "attributes": attributes}}
