"""The Zoom pipeline, sample by sample through the simulator, and its built payload."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from contentkit.event import from_ndjson_line, get_path, has_path
from contentkit.geoip import GeoIP
from contentkit.grok import compile_grok
from contentkit.load import ROOT, load_pipelines, pipeline_body
from contentkit.processors import compile_pipeline

PROBLEMS: list = []
PACKS = load_pipelines(ROOT, PROBLEMS)
SAMPLES = [(pack, sample) for pack in PACKS for sample in pack.samples]
# The raw field each report's `evt.name` is (Datadog's contract: Zoom's own wording, verbatim).
NAME_FIELD = {"activity": "type", "operation": "action", "meeting_activity": "activity_category"}


def test_content_loads_without_problems():
    assert PACKS, "no pipeline found under pipelines/"
    assert PROBLEMS == []


def test_enough_samples_covering_every_log_type():
    assert len(SAMPLES) >= 90
    types = {s["log"]["log_type"] for _, s in SAMPLES}
    assert types == {"activity", "operation", "meeting_activity"}


@pytest.fixture(scope="module")
def compiled():
    geoip = GeoIP.bundled()
    return {pack.id: compile_pipeline(pack.definition, geoip=geoip) for pack in PACKS}


@pytest.mark.parametrize("pack,sample", SAMPLES, ids=[f"{p.name}: {s['name']}" for p, s in SAMPLES])
def test_sample_gives_expected_attributes(compiled, pack, sample):
    event = compiled[pack.id].process(from_ndjson_line(sample["log"], source=pack.sample_source))
    for path, expected in sample["expect"].items():
        if expected is None:
            assert not has_path(event, path), f"{path} should be absent, got {get_path(event, path)!r}"
        else:
            assert get_path(event, path) == expected, f"{path}: got {get_path(event, path)!r}, expected {expected!r}"
    if "expect_message" in sample:
        assert event["message"] == sample["expect_message"]
    if "expect_status" in sample:
        assert event["status"] == sample["expect_status"]
    if "expect_timestamp" in sample:
        assert event["timestamp"] == sample["expect_timestamp"]
    # every event gets a readable message, Datadog's name (Zoom's own action or type), an
    # outcome, and an OCSF class and activity
    raw_name = sample["log"].get(NAME_FIELD[sample["log"]["log_type"]])
    assert event["message"] and get_path(event, "evt.name") == raw_name
    assert get_path(event, "evt.outcome") == "success"
    ocsf = event["ocsf"]
    assert ocsf["type_uid"] == ocsf["class_uid"] * 100 + ocsf["activity_id"]


def test_other_sources_pass_untouched(compiled):
    line = {"email": "a@example.com", "type": "Sign in", "log_type": "activity"}
    for pipeline in compiled.values():
        event = from_ndjson_line(line, source="okta")
        assert pipeline.process(dict(event)) == event


def _walk(processors, level="root"):
    for index, processor in enumerate(processors):
        yield level, index, processor
        if processor["type"] == "pipeline":
            yield from _walk(processor["processors"], f"{level}/{index}")


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_datadog_limits_and_grok_samples(pack):
    levels: dict[str, int] = {}
    for level, _index, processor in _walk(pack.definition["processors"]):
        levels[level] = levels.get(level, 0) + 1
        assert processor.get("is_enabled") is True, f"{processor.get('name')}: is_enabled defaults to false"
        if processor["type"] == "grok-parser":
            grok = processor["grok"]
            rules = [l for l in grok["match_rules"].splitlines() if l.strip()]
            assert len(rules) <= 10, f"{processor['name']}: {len(rules)} grok rules"
            assert len(processor.get("samples", [])) <= 5
            parser = compile_grok(grok["match_rules"], grok.get("support_rules", ""))
            for sample in processor.get("samples", []):
                assert parser.parse(sample) is not None, f"{processor['name']}: sample does not match: {sample!r}"
    assert all(n <= 20 for n in levels.values()), levels


@pytest.mark.slow
def test_build_writes_api_bodies_that_the_official_model_accepts(tmp_path):
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
    from datadog_api_client.v1.model.logs_pipeline import LogsPipeline

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    built = sorted((tmp_path / "pipelines").glob("*.json"))
    assert [p.stem for p in built] == sorted(pack.name for pack in PACKS)
    for path in built:
        body = json.loads(path.read_text())
        pack = next(p for p in PACKS if p.name == path.stem)
        assert body == pipeline_body(pack)
        assert f"version:{pack.version}" in body["tags"] and f"pack_id:{pack.id}" in body["tags"]
        model = validate_and_convert_types(body, (LogsPipeline,), ["body"], True, True, Configuration())

        def check(processors, where, name=path.name):
            for i, processor in enumerate(processors):
                instance = processor.get_oneof_instance()
                assert not isinstance(instance, UnparsedObject), f"{name}: {where}[{i}] not accepted by the model"
                if getattr(instance, "type", None) and str(instance.type) == "pipeline":
                    check(instance.processors, f"{where}[{i}].processors")

        check(model.processors, "processors")


def test_build_reports_every_problem_then_fails(tmp_path):
    root = tmp_path / "repo"
    (root / "pipelines" / "a").mkdir(parents=True)
    (root / "pipelines" / "b").mkdir(parents=True)
    (root / "pipelines" / "a" / "pipeline.yaml").write_text("id: a\nversion: one\ndefinition: {name: A}\n")
    (root / "pipelines" / "b" / "pipeline.yaml").write_text("id: [b\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--out", str(tmp_path / "o"), "--root", str(root)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    err = result.stderr
    assert "pipelines/a/pipeline.yaml: version: 'one' does not match" in err
    assert "pipelines/a/pipeline.yaml: definition: 'is_enabled' is a required property" in err
    assert "pipelines/b/pipeline.yaml: line 2, column 1: not valid YAML" in err
    assert "Traceback" not in err


def test_every_produced_attribute_is_documented():
    import re

    documented = set(re.findall(r"^\| `([^`]+)` \|", (ROOT / "docs" / "attributes.md").read_text("utf-8"), re.M))
    reserved = {"message", "status", "timestamp", "service", "host", "source"}
    for pack in PACKS:
        produced = compile_pipeline(pack.definition).produced_attributes()
        # objects are documented through their leaves
        leaves = {a for a in produced if not any(b.startswith(a + ".") for b in produced)}
        missing = sorted(leaves - documented - reserved)
        assert not missing, f"docs/attributes.md lacks: {missing}"
