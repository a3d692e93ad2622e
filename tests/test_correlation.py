"""Signal correlation rules: other rules' signals, correlated by a shared attribute, counted in
the evaluation window; the pack's example rule through loader, validate, its tests and hunt."""

import json

import pytest

from contentkit.crossref import correlation_problems
from contentkit.detect import Signal, compile_correlation
from contentkit.errors import ContentError
from contentkit.load import load_rules, rule_body

MIN = 60_000


def correlation(condition="a > 0 && b > 0", window=3600):
    return {
        "name": "corr",
        "type": "signal_correlation",
        "queries": [
            {"name": "a", "ruleId": "rule-a", "correlatedByFields": ["@usr.email"], "aggregation": "event_count"},
            {"name": "b", "ruleId": "rule-b", "correlatedByFields": ["@usr.email"], "aggregation": "event_count"},
        ],
        "cases": [{"name": "both", "status": "medium", "condition": condition}],
        "options": {"evaluationWindow": window, "keepAlive": max(window, 3600), "maxSignalDuration": 86400},
    }


def sig(rule, ts, user="kim@example.com", group=True, **event):
    return Signal(rule, "low", "", {"usr.email": user} if group else {}, ts, ts, [], 1, event or None)


def fire(body, a=(), b=()):
    return compile_correlation(body).correlate({"rule-a": list(a), "rule-b": list(b)})


def test_both_signals_in_the_window_fire_in_either_order():
    for a_at, b_at in ((0, 20 * MIN), (20 * MIN, 0)):
        (signal,) = fire(correlation(), [sig("A", a_at)], [sig("B", b_at)])
        assert signal.status == "medium" and signal.group == {"usr.email": "kim@example.com"}
        assert signal.first_seen == 20 * MIN and [s["rule"] for s in signal.samples] == ["rule-b" if b_at else "rule-a"]


def test_outside_the_window_or_another_user_or_one_rule_alone_does_not_fire():
    assert fire(correlation(), [sig("A", 0)], [sig("B", 61 * MIN)]) == []
    assert fire(correlation(), [sig("A", 0)], [sig("B", 10 * MIN, user="lee@example.com")]) == []
    assert fire(correlation(), [sig("A", 0), sig("A", MIN)]) == []
    assert len(fire(correlation(window=7200), [sig("A", 0)], [sig("B", 61 * MIN)])) == 1


def test_cases_count_the_signals_of_each_rule():
    body = correlation("a >= 2 && b > 0")
    assert fire(body, [sig("A", 0)], [sig("B", MIN)]) == []
    assert len(fire(body, [sig("A", 0), sig("A", MIN)], [sig("B", 2 * MIN)])) == 1


def test_the_correlated_field_comes_from_the_group_or_the_log_that_opened_the_signal():
    ungrouped = sig("A", 0, group=False, usr={"email": "kim@example.com"})
    assert len(fire(correlation(), [ungrouped], [sig("B", MIN)])) == 1
    assert fire(correlation(), [sig("A", 0, group=False)], [sig("B", MIN)]) == []  # no value: never correlated


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda b: b["queries"][0].update(aggregation="count"), "aggregation 'count' is not supported for signals"),
        (lambda b: b["queries"][1].update(correlatedByFields=["@network.client.ip"]), "differs from queries"),
        (lambda b: b["queries"][0].update(correlatedByFields=[]), "needs 1 to 3 fields"),
        (lambda b: b["queries"][0].update(metrics=["@x"]), "queries\\[0\\].metrics is not supported"),
        (lambda b: b["options"].update(detectionMethod="threshold"), "options.detectionMethod is not supported"),
        (lambda b: b["queries"][0].pop("ruleId"), "ruleId is missing"),
    ],
)
def test_what_is_not_simulated_is_refused_by_name(change, message):
    body = correlation()
    change(body)
    with pytest.raises(ContentError, match=message):
        compile_correlation(body)


# -- the pack ----------------------------------------------------------------------------------
EXAMPLE = "zoom-risk-hosting-sign-in-then-impossible-travel"


def test_the_example_rule_loads_as_a_correlation_rule_with_its_api_body():
    rules = {r.id: r for r in load_rules()}
    rule = rules[EXAMPLE]
    assert rule.is_correlation and rule.referenced == ["zoom-sign-in-from-hosting-provider", "zoom-impossible-travel"]
    body = rule_body(rule)
    assert body["type"] == "signal_correlation" and "detectionMethod" not in body["options"]
    assert body["queries"][0] == {
        "ruleId": "zoom-sign-in-from-hosting-provider",
        "name": "a",
        "correlatedByFields": ["@usr.email"],
        "correlatedQueryIndex": 0,
        "aggregation": "event_count",
    }
    assert correlation_problems(rule, rules) == []


def test_validate_names_a_missing_rule_a_correlation_rule_and_an_uncarried_field():
    rules = {r.id: r for r in load_rules()}
    rule = rules[EXAMPLE]
    data = json.loads(json.dumps(rule.data))
    data["queries"][0]["rule"] = "zoom-no-such-rule"
    data["queries"][1]["correlatedByFields"] = ["@network.client.ip"]
    broken = type(rule)(rule.id, data, rule.path)
    problems = [f"{p.place}: {p.message}" for p in correlation_problems(broken, rules)]
    assert problems[0] == "queries/0/rule: 'zoom-no-such-rule' is not a rule of the pack (siem_rules/)"
    assert problems[1].startswith("queries/1/correlatedByFields/0: @network.client.ip: the signals of zoom-impossible")
    data["queries"][0]["rule"] = EXAMPLE  # itself: a correlation rule, so also no cycle
    itself = type(rule)(rule.id, data, rule.path)
    assert "a rule cannot correlate its own signals" in str(itself.model.problems())
    assert "is itself a signal correlation rule" in correlation_problems(itself, rules)[0].message


def test_hunt_reports_correlation_signals_after_the_base_rules(tmp_path):
    from contentkit.hunt import Hunt
    from contentkit.rule_tests import expand_test_logs

    rule = {r.id: r for r in load_rules()}[EXAMPLE]
    firing = next(t for t in rule.model.tests if t.fires)
    path = tmp_path / "zoom.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in expand_test_logs(firing.logs)))
    from contentkit.hunt import Inputs

    # only the correlation rule is chosen: its base rules run, but only it is reported
    hunt = Hunt(rule_patterns=[EXAMPLE], workers=1)
    with Inputs([str(path)]) as inputs:
        findings = hunt.run(inputs.buffers)
    assert [(f.rule_id, f.severity, f.signal.group) for f in findings] == [
        (EXAMPLE, "medium", {"usr.email": "kim@example.com"})
    ]
    # the sample is the signal that completed the case (both come from the same sign-in here)
    assert [s["rule"] for s in findings[0].as_json()["samples"]] == ["zoom-impossible-travel"]
