"""Datadog's baselines in the local engine: new value's learning methods and options, and
impossible travel's baselineUserLocations (24 hours per user, common locations, travel
patterns seen before, 30 days of memory); options the engine does not simulate are refused."""

import pytest

from contentkit.detect import compile_rule
from contentkit.errors import ContentError
from tests.helpers import new_value_rule

MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000


def ev(ts, user="a@example.com", **extra):
    return {"timestamp": ts, "source": "zoom_activity_logs", "usr": {"email": user}, "message": "", **extra}


def countries(rule, *points):
    """The new values signalled, for (time, user, country) points."""
    signals = compile_rule(rule).evaluate([ev(t, user, country=c) for t, user, c in points])
    return [(s.group["usr.email"], s.group["country"]) for s in signals]


def test_duration_learning_runs_from_the_rules_first_event_not_per_group():
    rule = new_value_rule(learningMethod="duration", learningDuration=1, forgetAfter=28)
    # a user first seen after the rule's day of learning has no history: the first value is new
    assert countries(rule, (0, "a", "US"), (2 * DAY, "b", "FR")) == [("b", "FR")]
    # within the rule's learning day, any user's values are learned
    assert countries(rule, (0, "a", "US"), (HOUR, "b", "FR"), (2 * DAY, "b", "FR")) == []
    assert countries(rule, (0, "a", "US"), (HOUR, "b", "FR"), (2 * DAY, "b", "JP")) == [("b", "JP")]


def test_duration_zero_learns_only_the_first_value():
    rule = new_value_rule(learningDuration=0)
    assert countries(rule, (0, "a", "US"), (MIN, "a", "US"), (2 * MIN, "a", "FR")) == [("a", "FR")]


def test_threshold_method_has_no_warmup_and_learns_each_groups_first_occurrences():
    zero = new_value_rule(learningMethod="threshold", learningThreshold=0)
    # no learning period: every value never seen for the group signals, the very first too
    assert countries(zero, (0, "a", "US"), (MIN, "a", "US"), (2 * MIN, "a", "FR")) == [("a", "US"), ("a", "FR")]
    one = new_value_rule(learningMethod="threshold", learningThreshold=1)
    # per group: each user's first occurrence is learned, whenever it comes
    points = [
        (0, "a", "US"),
        (MIN, "a", "FR"),
        (10 * DAY, "b", "DE"),
        (10 * DAY + MIN, "b", "DE"),
        (11 * DAY, "b", "JP"),
    ]
    assert countries(one, *points) == [("a", "FR"), ("b", "JP")]


def test_forget_after_makes_a_value_new_again():
    rule = new_value_rule(learningDuration=1, forgetAfter=7)
    assert countries(rule, (0, "a", "US"), (7 * DAY, "a", "US")) == []  # 7 days: still known
    assert countries(rule, (0, "a", "US"), (8 * DAY, "a", "US")) == [("a", "US")]
    # seeing it again keeps it known
    assert countries(rule, (0, "a", "US"), (6 * DAY, "a", "US"), (12 * DAY, "a", "US")) == []


@pytest.mark.parametrize(
    "options,message",
    [
        ({"instantaneousBaseline": True}, "newValueOptions.instantaneousBaseline True is not supported"),
        (
            {"learningMethod": "duration", "learningThreshold": 1},
            "learningThreshold applies to learningMethod threshold",
        ),
        ({"learningMethod": "threshold", "learningDuration": 7}, "learningDuration applies to learningMethod duration"),
        ({"learningMethod": "anomaly"}, "learningMethod 'anomaly' is not one of"),
        ({"learningDuration": 30}, "learningDuration 30 is not one of"),
        ({"forgetAfter": 30}, "forgetAfter 30 is not one of"),
        ({"learningThreshold": True}, "learningThreshold True is not one of"),
        ({"somethingElse": 1}, "newValueOptions.somethingElse is not supported"),
    ],
)
def test_new_value_options_not_simulated_are_refused_by_name(options, message):
    with pytest.raises(ContentError, match=message):
        compile_rule(new_value_rule(**options))


def test_several_new_value_metrics_are_refused():
    rule = new_value_rule()
    rule["queries"][0]["metrics"] = ["@country", "@device"]
    with pytest.raises(ContentError, match="queries\\[0\\].metrics: 2"):
        compile_rule(rule)


def test_instantaneous_baseline_false_is_the_default_and_accepted():
    assert countries(new_value_rule(instantaneousBaseline=False), (0, "a", "US"), (MIN, "a", "FR")) == [("a", "FR")]


# -- impossible travel ---------------------------------------------------------------------
PLACES = {
    "London": (51.51, -0.13, "GB"),
    "New York": (40.71, -74.0, "US"),
    "Tokyo": (35.68, 139.65, "JP"),
    "Sydney": (-33.87, 151.21, "AU"),
}


def sign_in(ts, city, user="a@example.com"):
    lat, lon, country = PLACES[city]
    geoip = {"location": {"latitude": lat, "longitude": lon}, "city": {"name": city}, "country": {"iso_code": country}}
    return ev(ts, user=user, network={"client": {"geoip": geoip}})


def travel(baseline=True):
    return compile_rule(
        {
            "name": "it",
            "queries": [
                {
                    "name": "a",
                    "query": "source:zoom_activity_logs",
                    "aggregation": "geo_data",
                    "groupByFields": ["@usr.email"],
                    "metrics": ["@network.client.geoip"],
                }
            ],
            "cases": [{"name": "travel", "status": "high"}],
            "options": {
                "detectionMethod": "impossible_travel",
                "evaluationWindow": 0,
                "keepAlive": 0,
                "maxSignalDuration": 0,
                "impossibleTravelOptions": {"baselineUserLocations": baseline},
            },
        }
    )


def fired(rule, *points):
    """The (time, city) of each signal, for (time, city[, user]) sign-ins."""
    return [
        (s.first_seen, s.event["network"]["client"]["geoip"]["city"]["name"])
        for s in rule.evaluate([sign_in(*p) for p in points])
    ]


def test_baseline_suppresses_signals_for_each_users_first_24_hours():
    # learning is per user: b's first day is quiet even though a's is long over
    points = [(0, "London", "a"), (2 * DAY, "London", "b"), (2 * DAY + 30 * MIN, "Tokyo", "b")]
    assert fired(travel(), *points) == []
    assert fired(travel(baseline=False), *points) == [(2 * DAY + 30 * MIN, "Tokyo")]
    late = [(0, "London", "b"), (DAY, "London", "b"), (DAY + 30 * MIN, "Tokyo", "b")]
    assert fired(travel(), *late) == [(DAY + 30 * MIN, "Tokyo")]


def test_a_daily_vpn_hop_learned_in_the_first_day_never_fires_a_real_new_place_does():
    vpn = []
    for day in range(10):  # London, then New York (the VPN's exit) minutes later, every morning
        vpn += [(day * DAY, "London"), (day * DAY + 5 * MIN, "New York")]
    assert fired(travel(), *vpn) == []
    assert len(fired(travel(baseline=False), *vpn)) == 10  # every morning's hop, without the baseline
    assert fired(travel(), *vpn, (10 * DAY, "London"), (10 * DAY + 20 * MIN, "Tokyo")) == [
        (10 * DAY + 20 * MIN, "Tokyo")
    ]


def test_a_travel_pattern_seen_before_does_not_fire_again():
    # the VPN starts after learning: the first hop is a signal, the same hop later is not
    hops = [(0, "London"), (2 * DAY, "London"), (2 * DAY + 5 * MIN, "Tokyo"), (3 * DAY, "London")]
    assert fired(travel(), *hops) == [(2 * DAY + 5 * MIN, "Tokyo")]
    # Tokyo is now a common location of the user, and London -> Tokyo a known transition
    assert fired(travel(), *hops, (3 * DAY + 5 * MIN, "Tokyo")) == [(2 * DAY + 5 * MIN, "Tokyo")]


def test_locations_and_patterns_are_forgotten_after_30_days():
    seen = [(0, "London"), (HOUR, "London"), (2 * DAY, "London"), (2 * DAY + 5 * MIN, "Tokyo")]
    again = [(40 * DAY, "London"), (40 * DAY + 5 * MIN, "Tokyo")]
    assert fired(travel(), *seen, *again) == [(2 * DAY + 5 * MIN, "Tokyo"), (40 * DAY + 5 * MIN, "Tokyo")]
    within = [(20 * DAY, "London"), (20 * DAY + 5 * MIN, "Tokyo")]
    assert fired(travel(), *seen, *within) == [(2 * DAY + 5 * MIN, "Tokyo")]


@pytest.mark.parametrize(
    "travel_options,message",
    [
        ({"baselineUserLocations": "yes"}, "baselineUserLocations 'yes' is not one of"),
        ({"learnForDays": 2}, "impossibleTravelOptions.learnForDays is not supported"),
    ],
)
def test_travel_options_not_simulated_are_refused(travel_options, message):
    body = travel().body
    body = {**body, "options": {**body["options"], "impossibleTravelOptions": travel_options}}
    with pytest.raises(ContentError, match=message):
        compile_rule(body)
