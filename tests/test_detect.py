"""The local rule engine: threshold, new value and impossible travel, Datadog's semantics."""

import pytest

from contentkit.detect import compile_condition, compile_rule, haversine_km
from contentkit.errors import ContentError
from tests.helpers import new_value_rule

MIN = 60_000
DAY = 86_400_000


def ev(ts, user="a@example.com", name="zoom.user.delete", **extra):
    event = {
        "timestamp": ts,
        "source": "zoom_activity_logs",
        "usr": {"email": user},
        "evt": {"name": name},
        "tags": ["source:zoom_activity_logs"],
        "message": "",
    }
    event.update(extra)
    return event


def rule(
    cases,
    window=600,
    keep=3600,
    max_d=86400,
    query="source:zoom_activity_logs @evt.name:zoom.user.delete",
    aggregation="count",
    distinct=(),
    extra_queries=(),
):
    return {
        "name": "t",
        "queries": [
            {
                "name": "a",
                "query": query,
                "aggregation": aggregation,
                "groupByFields": ["@usr.email"],
                "distinctFields": list(distinct),
            },
            *extra_queries,
        ],
        "cases": cases,
        "options": {
            "detectionMethod": "threshold",
            "evaluationWindow": window,
            "keepAlive": keep,
            "maxSignalDuration": max_d,
        },
    }


def test_threshold_counts_in_a_sliding_window_per_group():
    r = compile_rule(rule([{"name": "burst", "status": "high", "condition": "a >= 3"}]))
    assert r.evaluate([ev(0), ev(MIN), ev(2 * MIN)])[0].status == "high"
    assert r.evaluate([ev(0), ev(MIN)]) == []  # below the threshold
    assert r.evaluate([ev(0), ev(MIN), ev(11 * MIN)]) == []  # the first fell out of the 10-minute window
    assert r.evaluate([ev(0, "a@x"), ev(MIN, "b@x"), ev(2 * MIN, "c@x")]) == []  # groups are separate


def test_cases_in_order_give_the_status_and_upgrade_an_open_signal():
    r = compile_rule(
        rule(
            [
                {"name": "mass", "status": "critical", "condition": "a >= 5"},
                {"name": "some", "status": "medium", "condition": "a >= 2"},
            ]
        )
    )
    signals = r.evaluate([ev(i * 1000) for i in range(5)])
    assert len(signals) == 1 and signals[0].status == "critical" and signals[0].count == 4
    assert r.evaluate([ev(0), ev(1000)])[0].status == "medium"


def test_keep_alive_merges_and_a_gap_opens_a_new_signal():
    r = compile_rule(rule([{"name": "any", "status": "low", "condition": "a > 0"}], window=0, keep=600, max_d=3600))
    assert len(r.evaluate([ev(0), ev(5 * MIN), ev(9 * MIN)])) == 1
    assert len(r.evaluate([ev(0), ev(11 * MIN)])) == 2
    assert len(r.evaluate([ev(i * 9 * MIN) for i in range(9)])) == 2  # maxSignalDuration 1 h splits


def test_cardinality_counts_distinct_values():
    r = compile_rule(
        rule(
            [{"name": "spray", "status": "high", "condition": "a >= 3"}],
            query="source:zoom_activity_logs @evt.name:zoom.sign_in",
            aggregation="cardinality",
            distinct=["@usr.email"],
        )
    )
    r.queries[0].group_by = ["network.client.ip"]
    signed = [
        ev(i * 1000, user=u, name="zoom.sign_in", network={"client": {"ip": "192.0.2.1"}})
        for i, u in enumerate(["a", "b", "a", "c"])
    ]
    assert len(r.evaluate(signed)) == 1
    assert r.evaluate(signed[:3]) == []  # a, b, a: two distinct users


def test_two_queries_correlate_within_the_window():
    second = {
        "name": "b",
        "query": "source:zoom_activity_logs @evt.name:zoom.setting.update",
        "aggregation": "count",
        "groupByFields": ["@usr.email"],
    }
    r = compile_rule(
        rule(
            [{"name": "both", "status": "critical", "condition": "a > 0 && b > 0"}], window=3600, extra_queries=[second]
        )
    )
    assert len(r.evaluate([ev(0), ev(10 * MIN, name="zoom.setting.update")])) == 1
    assert r.evaluate([ev(0), ev(10 * MIN, user="other", name="zoom.setting.update")]) == []
    assert r.evaluate([ev(0), ev(61 * MIN, name="zoom.setting.update")]) == []


def test_new_value_learns_then_flags_and_forgets():
    body = new_value_rule(learningDuration=7, forgetAfter=14)
    r = compile_rule(body)
    assert r.evaluate([ev(0, country="US"), ev(DAY, country="FR"), ev(8 * DAY, country="US")]) == []
    signals = r.evaluate([ev(0, country="US"), ev(8 * DAY, country="JP")])
    assert len(signals) == 1 and signals[0].group == {"usr.email": "a@example.com", "country": "JP"}
    assert len(r.evaluate([ev(0, country="US"), ev(20 * DAY, country="US")])) == 1  # forgotten after 14 days
    # learning runs from the rule's first event: a user first seen afterwards has no history
    assert len(r.evaluate([ev(0, country="US"), ev(8 * DAY, user="b@x", country="US")])) == 1


def geo(ts, lat, lon, city, user="a@example.com"):
    return ev(
        ts,
        user=user,
        name="zoom.sign_in",
        network={
            "client": {
                "geoip": {
                    "location": {"latitude": lat, "longitude": lon},
                    "city": {"name": city},
                    "country": {"iso_code": city[:2]},
                }
            }
        },
    )


def test_impossible_travel_speed_distance_and_baseline():
    body = {
        "name": "it",
        "queries": [
            {
                "name": "a",
                "query": "source:zoom_activity_logs @evt.name:zoom.sign_in",
                "aggregation": "geo_data",
                "groupByFields": ["@usr.email"],
                "metrics": ["@network.client.geoip"],
            }
        ],
        "cases": [{"name": "travel", "status": "high"}],
        "options": {
            "detectionMethod": "impossible_travel",
            "evaluationWindow": 0,
            "keepAlive": 3600,
            "maxSignalDuration": 86400,
            "impossibleTravelOptions": {"baselineUserLocations": True},
        },
    }
    r = compile_rule(body)
    learned = [geo(-2 * DAY, 40.71, -74.0, "New York")]  # the user's 24 hours of learning are over
    assert len(r.evaluate([*learned, geo(0, 40.71, -74.0, "New York"), geo(30 * MIN, 35.68, 139.65, "Tokyo")])) == 1
    assert r.evaluate([*learned, geo(0, 40.71, -74.0, "New York"), geo(20 * 3600_000, 35.68, 139.65, "Tokyo")]) == []
    assert r.evaluate([*learned, geo(MIN, 39.95, -75.16, "Philadelphia")]) == []  # < 500 km
    back_home = [
        *learned,
        geo(DAY, 35.68, 139.65, "Tokyo"),
        geo(DAY + 30 * MIN, 40.71, -74.0, "New York"),
    ]
    assert r.evaluate(back_home) == []  # New York is a baseline location of the user
    body["options"]["impossibleTravelOptions"] = {"baselineUserLocations": False}
    assert len(compile_rule(body).evaluate(back_home)) == 1  # without the baseline, returning home is travel too
    assert 10_800 < haversine_km(40.71, -74.0, 35.68, 139.65) < 10_900


@pytest.mark.parametrize(
    "change,message",
    [
        (
            {
                "options": {
                    "detectionMethod": "anomaly_detection",
                    "evaluationWindow": 0,
                    "keepAlive": 0,
                    "maxSignalDuration": 0,
                }
            },
            "detectionMethod 'anomaly_detection'",
        ),
        (
            {
                "options": {
                    "detectionMethod": "threshold",
                    "evaluationWindow": 7,
                    "keepAlive": 0,
                    "maxSignalDuration": 0,
                }
            },
            "evaluationWindow 7",
        ),
        (
            {
                "options": {
                    "detectionMethod": "threshold",
                    "evaluationWindow": 3600,
                    "keepAlive": 60,
                    "maxSignalDuration": 86400,
                }
            },
            r"options.keepAlive 60 is below evaluationWindow 3600 \(evalu",
        ),
        (
            {
                "options": {
                    "detectionMethod": "threshold",
                    "evaluationWindow": 60,
                    "keepAlive": 3600,
                    "maxSignalDuration": 600,
                }
            },
            "options.maxSignalDuration 600 is below keepAlive 3600",
        ),
        ({"cases": [{"name": "x", "status": "high", "condition": "z > 1"}]}, "no query named 'z'"),
        ({"cases": [{"name": "x", "status": "high", "condition": "a >"}]}, "ends too early"),
        ({"cases": [{"name": "x", "status": "severe", "condition": "a > 1"}]}, "status 'severe'"),
        ({"queries": [{"name": "a", "query": "source:zoom_activity_logs", "aggregation": "sum"}]}, "aggregation 'sum'"),
        (
            {
                "options": {
                    "detectionMethod": "sequence_detection",
                    "evaluationWindow": 0,
                    "keepAlive": 0,
                    "maxSignalDuration": 0,
                }
            },
            "detectionMethod 'sequence_detection'",
        ),
        (
            {
                "options": {
                    "detectionMethod": "threshold",
                    "evaluationWindow": 0,
                    "keepAlive": 0,
                    "maxSignalDuration": 0,
                    "decreaseCriticalityBasedOnEnv": True,
                }
            },
            "options.decreaseCriticalityBasedOnEnv is not supported",
        ),
        (
            {
                "options": {
                    "detectionMethod": "threshold",
                    "evaluationWindow": 0,
                    "keepAlive": 0,
                    "maxSignalDuration": 0,
                    "newValueOptions": {"forgetAfter": 7},
                }
            },
            "options.newValueOptions applies to detectionMethod new_value only",
        ),
        ({"type": "signal_correlation"}, "compile_correlation"),
    ],
)
def test_malformed_rules_are_refused_naming_the_field(change, message):
    body = rule([{"name": "x", "status": "high", "condition": "a > 1"}])
    body.update(change)
    with pytest.raises(ContentError, match=message):
        compile_rule(body)


def test_condition_precedence():
    check = compile_condition("a > 0 || b > 0 && c > 0", {"a", "b", "c"})
    assert check({"a": 1, "b": 0, "c": 0}) and not check({"a": 0, "b": 1, "c": 0})
