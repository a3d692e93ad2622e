"""The version lock: changed content must bump its version.

`content.lock.json` records, for every pipeline, rule and dashboard, a hash of its
deployable content and its version. A check fails when content changed and its
version did not; `python scripts/build.py --update-lock` bumps what changed (patch
for pipelines and dashboards, +1 for rules) in the source files and rewrites the lock.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .load import ROOT, PipelinePack, Problem, Rule, _rel

LOCK_FILE = "content.lock.json"
_VERSION_LINE = re.compile(r"^(version:\s*)(\S+)\s*$", re.M)


def content_hash(obj) -> str:
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]


def entries(packs: list[PipelinePack], rules: list[Rule], dashboards: list | None = None) -> dict:
    """kind -> id -> (version, hash, source path)."""
    out: dict = {"pipelines": {}, "rules": {}, "dashboards": {}}
    for pack in packs:
        out["pipelines"][pack.id] = (pack.version, content_hash(pack.definition), pack.directory / "pipeline.yaml")
    for rule in rules:
        deployable = {k: v for k, v in rule.data.items() if k not in ("version", "tests")}
        out["rules"][rule.id] = (rule.version, content_hash(deployable), rule.path)
    for dash in dashboards or []:
        out["dashboards"][dash.id] = (dash.version, content_hash(dash.definition), dash.path)
    return out


def read_lock(root: Path = ROOT) -> dict:
    path = root / LOCK_FILE
    if not path.exists():
        return {"pipelines": {}, "rules": {}, "dashboards": {}}
    return json.loads(path.read_text("utf-8"))


def _newer(a, b) -> bool:
    def key(v):
        return tuple(int(x) for x in str(v).split("."))

    return key(a) > key(b)


def check(current: dict, lock: dict, root: Path = ROOT) -> list[Problem]:
    problems = []
    for kind, items in current.items():
        locked = lock.get(kind, {})
        for cid, (version, digest, path) in items.items():
            file = _rel(path, root)
            entry = locked.get(cid)
            if entry is None:
                problems.append(
                    Problem(file, "version", f"{cid} is not in {LOCK_FILE}: run python scripts/build.py --update-lock")
                )
            elif digest != entry["hash"]:
                if str(version) == str(entry["version"]):
                    problems.append(
                        Problem(
                            file,
                            "version",
                            f"content changed since version {version} but the version did not: "
                            "run python scripts/build.py --update-lock",
                        )
                    )
                elif not _newer(version, entry["version"]):
                    problems.append(
                        Problem(file, "version", f"version {version} is not above the locked {entry['version']}")
                    )
                else:
                    problems.append(
                        Problem(
                            file,
                            "version",
                            f"version {version} is not recorded in {LOCK_FILE}: "
                            "run python scripts/build.py --update-lock",
                        )
                    )
    return problems


def bump(version) -> str | int:
    if isinstance(version, int):
        return version + 1
    major, minor, patch = (int(x) for x in str(version).split("."))
    return f"{major}.{minor}.{patch + 1}"


def update(current: dict, lock: dict, root: Path = ROOT) -> tuple[dict, list[str]]:
    """Bump changed content in its source file; return the new lock and what was done."""
    new: dict[str, dict] = {"pipelines": {}, "rules": {}, "dashboards": {}}
    done = []
    for kind, items in current.items():
        for cid, (version, digest, path) in items.items():
            entry = lock.get(kind, {}).get(cid)
            if entry is not None and digest != entry["hash"] and not _newer(version, entry["version"]):
                version = bump(entry["version"])
                text = Path(path).read_text("utf-8")
                # \g<1>: the key and spacing as they were (a version is digits and dots only)
                Path(path).write_text(_VERSION_LINE.sub(rf"\g<1>{version}", text, count=1), "utf-8")
                done.append(f"{kind[:-1]} {cid}: version {entry['version']} -> {version}")
            elif entry is None:
                done.append(f"{kind[:-1]} {cid}: locked at version {version}")
            new[kind][cid] = {"version": version, "hash": digest}
    return new, done


def write_lock(lock: dict, root: Path = ROOT) -> None:
    (root / LOCK_FILE).write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", "utf-8")
