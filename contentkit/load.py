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

ROOT = Path(__file__).resolve().parent.parent
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


def read_yaml(path: Path, problems: list[Problem], root: Path):
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        problems.append(Problem(_rel(path, root), "", f"cannot read: {exc.strerror}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(_rel(path, root), where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
    return None


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
