"""The one loader every check walks: content files in, typed objects or errors out.

Every problem found is collected (file and place named) rather than raised at the
first one, so `validate` can report them all at once.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

def _content_root() -> Path:
    """The repository in a checkout (or an editable install); the copy pip installs
    under <prefix>/share/zoom-activity-logs otherwise (pyproject's data-files)."""
    repo = Path(__file__).resolve().parent.parent
    if (repo / "siem_rules").is_dir():
        return repo
    installed = Path(sys.prefix) / "share" / "zoom-activity-logs"
    return installed if (installed / "siem_rules").is_dir() else repo


ROOT = _content_root()
PACK = "zoom-activity-logs"


@dataclass
class Problem:
    file: str
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.message}" if self.place else f"{self.file}: {self.message}"


@dataclass
class PipelinePack:
    id: str
    version: str
    definition: dict
    directory: Path
    samples: list[dict] = field(default_factory=list)
    sample_source: str = "zoom_activity_logs"

    @property
    def name(self) -> str:
        return self.directory.name


def schema(name: str) -> dict:
    return json.loads(resources.files("contentkit").joinpath("schemas", name).read_text("utf-8"))


def read_text(path: Path, problems: list[Problem], root: Path) -> str | None:
    """A content file's text, or None with one problem naming the file (unreadable,
    binary, not UTF-8)."""
    rel = _rel(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(rel, "", f"cannot read: {exc.strerror}"))
        return None
    if b"\x00" in raw:
        problems.append(Problem(rel, "", "a binary file, not text"))
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, "", f"not UTF-8 text (byte {exc.start})"))
        return None


def read_yaml(path: Path, problems: list[Problem], root: Path):
    text = read_text(path, problems, root)
    if text is None:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(_rel(path, root), where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if data is None:
        # Dropping it silently would make push_rules.py --prune delete the live content.
        problems.append(Problem(_rel(path, root), "", "empty (no YAML document, or only comments or null)"))
    return data


def check_schema(data, schema_name: str, file: str, problems: list[Problem]) -> bool:
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    for error in errors:
        place = "/".join(str(p) for p in error.absolute_path) or "(top)"
        problems.append(Problem(file, place, error.message))
    return not errors


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def load_pipelines(root: Path = ROOT, problems: list[Problem] | None = None) -> list[PipelinePack]:
    problems = problems if problems is not None else []
    packs = []
    for source in sorted((root / "pipelines").glob("*/pipeline.yaml")):
        rel = _rel(source, root)
        data = read_yaml(source, problems, root)
        if data is None or not check_schema(data, "pipeline.schema.json", rel, problems):
            continue
        pack = PipelinePack(data["id"], data["version"], data["definition"], source.parent)
        tests = source.parent / "tests.yaml"
        if tests.exists():
            t = read_yaml(tests, problems, root)
            if t is not None and check_schema(t, "pipeline_tests.schema.json", _rel(tests, root), problems):
                pack.samples = t["samples"]
                pack.sample_source = t.get("source", pack.sample_source)
        else:
            problems.append(Problem(rel, "", "no tests.yaml beside the pipeline"))
        packs.append(pack)
    return packs


def pipeline_body(pack: PipelinePack) -> dict:
    """The exact body of POST /api/v1/logs/config/pipelines, carrying the pack id and version."""
    body = copy.deepcopy(pack.definition)
    body.setdefault(
        "description",
        f"{body['name']} v{pack.version} from the {PACK} content pack (id {pack.id}). Managed by scripts/push_pipelines.py.",
    )
    tags = [t for t in body.get("tags", []) if not t.startswith(("pack:", "pack_id:", "version:"))]
    body["tags"] = [*tags, f"pack:{PACK}", f"pack_id:{pack.id}", f"version:{pack.version}"]
    return body


# -- detection rules ------------------------------------------------------------------

TACTICS = {
    "TA0001": "initial-access", "TA0002": "execution", "TA0003": "persistence",
    "TA0004": "privilege-escalation", "TA0005": "defense-evasion", "TA0006": "credential-access",
    "TA0007": "discovery", "TA0008": "lateral-movement", "TA0009": "collection",
    "TA0010": "exfiltration", "TA0011": "command-and-control", "TA0040": "impact",
    "TA0042": "resource-development", "TA0043": "reconnaissance",
}
SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]


@dataclass
class Rule:
    id: str
    data: dict
    path: Path

    @property
    def version(self) -> int:
        return self.data["version"]

    @property
    def severity(self) -> str:
        return min((c["status"] for c in self.data["cases"]), key=SEVERITY_ORDER.index)


def load_rules(root: Path = ROOT, problems: list[Problem] | None = None) -> list[Rule]:
    problems = problems if problems is not None else []
    rules, seen = [], {}
    folder = root / "siem_rules"
    for stray in sorted(p for p in folder.glob("*") if p.suffix != ".yaml" and not p.name.startswith(".")):
        # a rule.yml or rule.json would otherwise be skipped without a word
        problems.append(Problem(_rel(stray, root), "", "not a rule file: each rule is siem_rules/<id>.yaml"))
    sources = sorted(folder.glob("*.yaml"))
    if not sources:
        problems.append(Problem(_rel(folder, root), "", "no rules found: an empty pack would delete every "
                                                        "deployed rule on push --prune"))
    for source in sources:
        rel = _rel(source, root)
        data = read_yaml(source, problems, root)
        if data is None or not check_schema(data, "rule.schema.json", rel, problems):
            continue
        if source.stem != data["id"]:
            problems.append(Problem(rel, "id", f"{data['id']!r} must equal the file name {source.stem!r}"))
        if data["id"] in seen:
            problems.append(Problem(rel, "id", f"{data['id']!r} is also the id of {seen[data['id']]}"))
        seen[data["id"]] = rel
        if data["tactic"] not in TACTICS:
            problems.append(Problem(rel, "tactic", f"{data['tactic']!r} is not an ATT&CK enterprise tactic"))
        statuses = [c["status"] for c in data["cases"]]
        if statuses != sorted(statuses, key=SEVERITY_ORDER.index):
            problems.append(Problem(rel, "cases", "order cases from the highest severity down"))
        if not any(t["fires"] for t in data["tests"]) or all(t["fires"] for t in data["tests"]):
            problems.append(Problem(rel, "tests", "needs at least one case that fires and one near-miss that does not"))
        rules.append(Rule(data["id"], data, source))
    return rules


def rule_body(rule: Rule) -> dict:
    """The exact body of POST /api/v2/security_monitoring/rules (type log_detection)."""
    d = rule.data
    tags = [
        "source:zoom_activity_logs",
        "security:attack",
        f"tactic:{d['tactic']}-{TACTICS[d['tactic']]}",
        f"technique:{d['technique']}",
        f"pack:{PACK}",
        f"pack_id:{d['id']}",
        f"version:{d['version']}",
        *d.get("tags", []),
    ]
    message = d["message"].rstrip() + (
        f"\n\n---\n*Rule `{d['id']}` version {d['version']} from the {PACK} content pack.*\n"
    )
    body = {
        "name": d["name"],
        "type": "log_detection",
        "isEnabled": True,
        "queries": copy.deepcopy(d["queries"]),
        "cases": copy.deepcopy(d["cases"]),
        "options": copy.deepcopy(d["options"]),
        "message": message,
        "tags": tags,
    }
    return body


# -- dashboards -----------------------------------------------------------------------

@dataclass
class DashboardPack:
    id: str
    version: str
    definition: dict
    path: Path

    @property
    def name(self) -> str:
        return self.path.stem


def load_dashboards(root: Path = ROOT, problems: list[Problem] | None = None) -> list[DashboardPack]:
    problems = problems if problems is not None else []
    out = []
    for source in sorted((root / "dashboards").glob("*.json")):
        rel = _rel(source, root)
        text = read_text(source, problems, root)
        if text is None:
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            problems.append(Problem(rel, "", f"not valid JSON: {exc}"))
            continue
        if check_schema(data, "dashboard.schema.json", rel, problems):
            out.append(DashboardPack(data["id"], data["version"], data["dashboard"], source))
    return out


DASHBOARD_MARK = "zoom-activity-logs pack"


def dashboard_body(dash: DashboardPack) -> dict:
    """The exact body of POST /api/v1/dashboard. Dashboard tags take only team:<name>,
    so the stable id and version live at the end of the description."""
    body = copy.deepcopy(dash.definition)
    body["description"] = (body.get("description", "").rstrip()
                           + f"\n\n({DASHBOARD_MARK}: pack_id:{dash.id} version:{dash.version})").lstrip()
    return body
