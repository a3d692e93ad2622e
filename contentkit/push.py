"""Upsert planning for the push scripts: local content against what is deployed.

Objects of the pack carry `pack:zoom-activity-logs` and `pack_id:<stable id>`
tags; matching is by `pack_id`, so a renamed object is updated, not duplicated.
Only pack objects are ever updated or deleted.
"""

from __future__ import annotations

import difflib
import json
import sys
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
