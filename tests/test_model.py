"""contentkit.model: one typed model of the content, its constants defined once, the schemas generated."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import content_copy

from contentkit import model
from contentkit.load import ROOT, load_dashboards, load_pipelines, load_rules
from contentkit.validate import validate_all

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path):
    return content_copy(tmp_path / "repo")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_committed_schemas_are_the_generated_ones():
    assert model.stale_schemas() == [], "run: python -m contentkit.model --write-schemas"
    for name in model.SCHEMA_FILES:
        assert (model.SCHEMA_DIR / name).read_text("utf-8") == model.schema_text(name)


def test_write_schemas_rewrites_a_drifted_file_and_check_says_so(tmp_path):
    for name in model.SCHEMA_FILES:
        (tmp_path / name).write_text(model.schema_text(name), "utf-8")
    drifted = tmp_path / "rule.schema.json"
    drifted.write_text(drifted.read_text().replace('"minItems": 2', '"minItems": 1'), "utf-8")
    assert model.stale_schemas(tmp_path) == ["rule.schema.json"]
    assert model.write_schemas(tmp_path) == ["rule.schema.json"]
    assert model.stale_schemas(tmp_path) == []
    check = subprocess.run(
        [sys.executable, "-m", "contentkit.model", "--check"], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert check.returncode == 0, check.stderr


def test_the_schema_carries_the_models_constants():
    rule = model.schema("rule.schema.json")["properties"]
    options = rule["options"]["properties"]
    for key in model.WINDOW_ORDER:
        assert options[key]["enum"] == list(model.WINDOWS)
    assert options["detectionMethod"]["enum"] == list(model.DETECTION_METHODS)
    assert options["newValueOptions"]["properties"]["forgetAfter"]["enum"] == list(model.FORGET_AFTER_DAYS)
    assert rule["cases"]["items"]["properties"]["status"]["enum"] == list(model.SEVERITIES)
    assert rule["queries"]["items"]["properties"]["aggregation"]["enum"] == list(model.AGGREGATIONS)


@pytest.mark.slow
def test_every_content_file_loads_into_the_model_and_back_unchanged():
    problems: list = []
    rules, packs = load_rules(ROOT, problems), load_pipelines(ROOT, problems)
    dashboards = load_dashboards(ROOT, problems)
    assert problems == []
    for rule in rules:
        assert isinstance(rule.model, (model.RuleFile, model.SignalRuleFile)) and rule.model.to_dict() == rule.data, (
            rule.id
        )
    for pack in packs:
        source = yaml.safe_load((pack.directory / "pipeline.yaml").read_text("utf-8"))
        assert pack.model is not None and pack.model.to_dict() == source
        assert pack.tests is not None and [s.to_dict() for s in pack.tests.samples] == pack.samples
    for dash in dashboards:
        assert dash.model is not None and dash.model.to_dict() == json.loads(dash.path.read_text("utf-8"))
    assert rules[0].model.options.keep_alive in model.WINDOWS


@pytest.mark.slow
def test_a_wrong_keep_alive_is_one_line_naming_the_file_and_the_field(repo):
    edit(repo / "siem_rules" / "zoom-mass-user-deletion.yaml", "keepAlive: 3600", "keepAlive: 300")
    problems = [str(p) for p in validate_all(repo, lock=False)]
    assert problems == [
        "siem_rules/zoom-mass-user-deletion.yaml: options/keepAlive: 300 is below evaluationWindow 3600 "
        "(evaluationWindow <= keepAlive <= maxSignalDuration)"
    ]


@pytest.mark.slow
def test_every_window_order_error_is_reported_before_failing(repo):
    edit(repo / "siem_rules" / "zoom-mass-user-deletion.yaml", "keepAlive: 3600", "keepAlive: 300")
    edit(repo / "siem_rules" / "zoom-scim-change-burst.yaml", "maxSignalDuration: 86400", "maxSignalDuration: 1800")
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "validate.py"), "--root", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "options" in line]
    assert errors == [
        "error: siem_rules/zoom-mass-user-deletion.yaml: options/keepAlive: 300 is below evaluationWindow 3600 "
        "(evaluationWindow <= keepAlive <= maxSignalDuration)",
        "error: siem_rules/zoom-scim-change-burst.yaml: options/maxSignalDuration: 1800 is below keepAlive 3600 "
        "(evaluationWindow <= keepAlive <= maxSignalDuration)",
    ], result.stderr


def test_the_engine_refuses_the_same_order_with_the_same_words():
    from contentkit.detect import compile_rule
    from contentkit.errors import ContentError

    options = {"detectionMethod": "threshold", "evaluationWindow": 600, "keepAlive": 300, "maxSignalDuration": 86400}
    ((key, message),) = model.window_order_problems(options)
    body = {
        "name": "r",
        "queries": [{"name": "a", "query": "source:zoom_activity_logs"}],
        "cases": [{"name": "x", "status": "high", "condition": "a > 0"}],
        "options": options,
    }
    with pytest.raises(ContentError, match=re.escape(f"options.{key} {message}")):
        compile_rule(body)


# The literal lists the model holds; written split here so this file does not match itself.
DUPLICATES = {
    "the window values": re.compile(r"21600,\s*43200"),
    "the severity order": re.compile(r"""["']low["'],\s*["']medium["']|["']medium["'],\s*["']low["']"""),
    "the new value forgetAfter days": re.compile(r"14,\s*21,\s*28"),
    "the ATT&CK tactic names": re.compile(r"""["']TA0001["']\s*:"""),
}


def test_each_constant_is_written_once_in_the_model():
    sources = [p for folder in ("contentkit", "scripts", "tests") for p in sorted((REPO / folder).glob("*.py"))]
    found = []
    for path in sources:
        if path.name in ("model.py", Path(__file__).name):
            continue
        text = path.read_text("utf-8")
        found += [f"{path.relative_to(REPO)}: {what}" for what, pattern in DUPLICATES.items() if pattern.search(text)]
    assert found == [], "import it from contentkit.model instead"
    model_text = (REPO / "contentkit" / "model.py").read_text("utf-8")
    assert all(len(pattern.findall(model_text)) == 1 for pattern in DUPLICATES.values())
