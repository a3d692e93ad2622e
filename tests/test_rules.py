"""Every detection rule: its own tests through pipeline and engine, and its built payload."""

from __future__ import annotations

import pytest

from contentkit.load import ROOT, load_pipelines, load_rules, rule_body
from contentkit.model import SEVERITY_ORDER, WINDOW_ORDER, WINDOWS, window_order_problems
from contentkit.rule_tests import run_rule_tests

PROBLEMS: list = []
RULES = load_rules(ROOT, PROBLEMS)
PACKS = load_pipelines(ROOT)
CASES = [(rule, test["name"]) for rule in RULES for test in rule.data["tests"]]


def test_rules_load_without_problems():
    assert PROBLEMS == []


def test_the_pack_has_at_least_30_rules():
    assert len(RULES) >= 30


@pytest.fixture(scope="module")
def outcomes():
    bodies = {rule.id: rule_body(rule) for rule in RULES}
    return {
        rule.id: {
            o.name: o
            for o in run_rule_tests(rule, PACKS, bodies[rule.id], {rid: bodies[rid] for rid in rule.referenced})
        }
        for rule in RULES
    }


@pytest.mark.parametrize("rule,test_name", CASES, ids=[f"{r.id}: {n}" for r, n in CASES])
def test_rule_case(outcomes, rule, test_name):
    outcome = outcomes[rule.id][test_name]
    assert outcome.passed, outcome.detail


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_payload_passes_the_official_model_and_datadog_constraints(rule):
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
    from datadog_api_client.v2.model.security_monitoring_rule_create_payload import (
        SecurityMonitoringRuleCreatePayload,
    )

    body = rule_body(rule)
    model = validate_and_convert_types(
        body, (SecurityMonitoringRuleCreatePayload,), ["body"], True, True, Configuration()
    )
    assert not isinstance(model.get_oneof_instance(), UnparsedObject), "the official model rejects the body"
    assert body["type"] == ("signal_correlation" if rule.is_correlation else "log_detection")
    options = body["options"]
    for key in WINDOW_ORDER:
        assert options[key] in WINDOWS, key
    assert window_order_problems(options) == []
    statuses = [c["status"] for c in body["cases"]]
    assert statuses == sorted(statuses, key=SEVERITY_ORDER.index), "cases must go from the highest severity down"
    tags = body["tags"]
    assert "source:zoom_activity_logs" in tags
    assert any(t.startswith("tactic:TA") for t in tags) and any(t.startswith("technique:T") for t in tags)
    assert f"pack_id:{rule.id}" in tags
    for query in body["queries"]:
        if rule.is_correlation:  # another rule of the pack, which searches the source
            assert query["ruleId"] in {r.id for r in RULES if not r.is_correlation}
        else:
            assert "source:zoom_activity_logs" in query["query"]
    for section in ("## Goal", "## Strategy", "## Triage and response"):
        assert section in body["message"]


def test_detections_doc_is_generated_from_the_rules():
    from contentkit.docs import detections_markdown, load_precision

    doc = (ROOT / "docs" / "detections.md").read_text("utf-8")
    assert doc == detections_markdown(RULES, load_precision(ROOT)), "run: python scripts/build.py --update-docs"


def test_a_meeting_test_log_is_placed_in_time_by_its_activity_time():
    from contentkit.rule_tests import expand_test_logs, process_logs

    meeting = {"log_type": "meeting_activity", "meeting_number": "982 610 0285", "activity_category": "Meeting created"}
    given = {**meeting, "activity_time": "2024-03-21 07:09:03:216"}
    lines = expand_test_logs(
        [{"at": "-2h", "log": meeting}, {"log": given}, {"at": 90, "log": {"log_type": "activity"}}]
    )
    # Zoom's shape for the meeting report (no `time`: that is the other reports' field); a given one is kept
    assert [(line.get("activity_time"), line.get("time")) for line in lines] == [
        ("2026-11-20 10:00:00:000", None),
        ("2024-03-21 07:09:03:216", None),
        (None, "2026-11-20T12:01:30Z"),
    ]
    events = process_logs(lines[:2], PACKS)
    assert [e["timestamp"] for e in events] == [1795168800000, 1711004943216]
