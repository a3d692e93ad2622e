"""The one loader every check walks: content files in, typed objects or errors out.

Every problem found is collected (file and place named) rather than raised at the
first one, so `validate` can report them all at once.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from .errors import ContentError
from .model import (
    SEVERITY_ORDER,
    SOURCE,
    TACTICS,
    AnyRuleFile,
    DashboardFile,
    PipelineFile,
    PipelineTests,
    SignalRuleFile,
    rule_file_class,
    rule_schema_name,
    schema,
)

__all__ = ["SEVERITY_ORDER", "TACTICS", "schema"]  # re-exported: their home is contentkit.model

CONTENT_DIRS = ("siem_rules", "pipelines", "dashboards")
PACKAGE_MARKERS = ("__init__.py", "__pycache__")  # what makes a content folder a package


def _content_root() -> Path:
    """Where the pack's siem_rules/, pipelines/ and dashboards/ are: package data
    (pyproject maps them to contentkit.siem_rules, ...), found by importlib.resources in
    a checkout, an editable, a regular or a `pip install --target` install alike."""
    dirs = {name: Path(str(resources.files(f"contentkit.{name}"))) for name in CONTENT_DIRS}
    root = dirs["siem_rules"].parent
    for name, path in dirs.items():
        if path != root / name:  # an install mixing two copies of the pack
            raise ContentError(f"contentkit.{name} is at {path}, not beside {dirs['siem_rules']}")
    return root


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
    sample_source: str = SOURCE
    model: PipelineFile | None = None  # the typed pipeline.yaml
    tests: PipelineTests | None = None  # the typed tests.yaml

    @property
    def name(self) -> str:
        return self.directory.name


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
    """Check data against a schema generated from contentkit.model (the one in
    contentkit/schemas/, which a test keeps equal), one problem per error."""
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
        pack = PipelinePack(
            data["id"], data["version"], data["definition"], source.parent, model=PipelineFile.from_dict(data)
        )
        tests = source.parent / "tests.yaml"
        if tests.exists():
            t = read_yaml(tests, problems, root)
            if t is not None and check_schema(t, "pipeline_tests.schema.json", _rel(tests, root), problems):
                pack.tests = PipelineTests.from_dict(t)
                pack.samples = t["samples"]
                pack.sample_source = pack.tests.source or pack.sample_source
        else:
            problems.append(Problem(rel, "", "no tests.yaml beside the pipeline"))
        packs.append(pack)
    return packs


def pipeline_body(pack: PipelinePack) -> dict:
    """The exact body of POST /api/v1/logs/config/pipelines, carrying the pack id and version."""
    body = copy.deepcopy(pack.definition)
    body.setdefault(
        "description",
        f"{body['name']} v{pack.version} from the {PACK} content pack (id {pack.id}). "
        "Managed by scripts/push_pipelines.py.",
    )
    tags = [t for t in body.get("tags", []) if not t.startswith(("pack:", "pack_id:", "version:"))]
    body["tags"] = [*tags, f"pack:{PACK}", f"pack_id:{pack.id}", f"version:{pack.version}"]
    return body


# -- detection rules ------------------------------------------------------------------


@dataclass
class Rule:
    """A loaded rule file: `model` is the typed rule (contentkit.model.RuleFile, or SignalRuleFile
    for `type: signal_correlation`), `data` the mapping as read (kept for the lock's hash and
    the cross-reference checks)."""

    id: str
    data: dict
    path: Path
    model: AnyRuleFile = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.model = rule_file_class(self.data).from_dict(self.data)

    @property
    def is_correlation(self) -> bool:
        return isinstance(self.model, SignalRuleFile)

    @property
    def referenced(self) -> list[str]:
        """The ids of the rules whose signals it correlates (none for a log detection rule)."""
        return [q.rule for q in self.model.queries] if isinstance(self.model, SignalRuleFile) else []

    @property
    def version(self) -> int:
        return self.model.version

    @property
    def severity(self) -> str:
        return self.model.severity


def load_rules(root: Path = ROOT, problems: list[Problem] | None = None) -> list[Rule]:
    problems = problems if problems is not None else []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    folder = root / "siem_rules"
    for stray in sorted(
        p
        for p in folder.glob("*")
        if p.suffix != ".yaml" and not p.name.startswith(".") and p.name not in PACKAGE_MARKERS
    ):
        # a rule.yml or rule.json would otherwise be skipped without a word
        problems.append(Problem(_rel(stray, root), "", "not a rule file: each rule is siem_rules/<id>.yaml"))
    sources = sorted(folder.glob("*.yaml"))
    if not sources:
        problems.append(
            Problem(
                _rel(folder, root), "", "no rules found: an empty pack would delete every deployed rule on push --prune"
            )
        )
    for source in sources:
        rel = _rel(source, root)
        data = read_yaml(source, problems, root)
        if data is None or not check_schema(data, rule_schema_name(data), rel, problems):
            continue
        if source.stem != data["id"]:
            problems.append(Problem(rel, "id", f"{data['id']!r} must equal the file name {source.stem!r}"))
        if data["id"] in seen:
            problems.append(Problem(rel, "id", f"{data['id']!r} is also the id of {seen[data['id']]}"))
        seen[data["id"]] = rel
        rule = Rule(data["id"], data, source)
        # what the schema cannot say (tactic, case order, tests, window order): the model's checks
        problems += [Problem(rel, place, message) for place, message in rule.model.problems()]
        rules.append(rule)
    return rules


def rule_body(rule: Rule) -> dict:
    """The exact body of POST /api/v2/security_monitoring/rules (type log_detection, or
    signal_correlation: then each query's `ruleId` is the referenced rule's pack id, which
    the push replaces with the deployed rule's Datadog id)."""
    m = rule.model
    tags = [
        f"source:{SOURCE}",
        "security:attack",
        f"tactic:{m.tactic}-{TACTICS[m.tactic]}",
        f"technique:{m.technique}",
        f"pack:{PACK}",
        f"pack_id:{m.id}",
        f"version:{m.version}",
        *(m.tags or []),
    ]
    message = m.message.rstrip() + (f"\n\n---\n*Rule `{m.id}` version {m.version} from the {PACK} content pack.*\n")
    if isinstance(m, SignalRuleFile):
        queries = [{"ruleId": q.rule, **{k: v for k, v in q.to_dict().items() if k != "rule"}} for q in m.queries]
    else:
        queries = [q.to_dict() for q in m.queries]  # new objects: the body never aliases the model
    body = {
        "name": m.name,
        "type": m.rule_type,
        "isEnabled": True,
        "queries": queries,
        "cases": [c.to_dict() for c in m.cases],
        "options": m.options.to_dict(),
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
    model: DashboardFile | None = None  # the typed dashboards/<name>.json

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
            out.append(
                DashboardPack(data["id"], data["version"], data["dashboard"], source, DashboardFile.from_dict(data))
            )
    return out


DASHBOARD_MARK = "zoom-activity-logs pack"


def dashboard_body(dash: DashboardPack) -> dict:
    """The exact body of POST /api/v1/dashboard. Dashboard tags take only team:<name>,
    so the stable id and version live at the end of the description."""
    body = copy.deepcopy(dash.definition)
    body["description"] = (
        body.get("description", "").rstrip() + f"\n\n({DASHBOARD_MARK}: pack_id:{dash.id} version:{dash.version})"
    ).lstrip()
    return body
