"""A local Cloud SIEM engine: detection rules evaluated with Datadog's semantics.

Input: the exact body of POST /api/v2/security_monitoring/rules and processed events
(after the pipeline, `timestamp` in ms). Output: signals. A log detection rule
(`compile_rule`) uses threshold, new_value or impossible_travel; a signal correlation
rule (`compile_correlation`) runs over the signals of other rules. Any other detection
method (anomaly_detection, sequence_detection, third_party, hardcoded, ...), and any
option or option value the engine does not simulate, is refused by name (ContentError).

Semantics (https://docs.datadoghq.com/security/cloud_siem/detection_rules/):
- Queries are log searches; events missing a group-by attribute are not grouped
  and so never signal (CHOICE: Datadog's docs describe group-by on present values).
- threshold: per group, a sliding window of `evaluationWindow` seconds ending at
  each matching event; `count` counts the events, `cardinality` the distinct values
  of the one distinct field. Cases are tried in order; the first whose condition
  holds gives the signal's status. A window of 0 counts only events of the same
  second (CHOICE).
- A group's signal stays open while new triggering events come within `keepAlive`
  seconds of the last one and within `maxSignalDuration` of the first; later
  triggers open a new signal. A higher status seen while open upgrades it.
- new_value (https://docs.datadoghq.com/security/cloud_siem/detect_and_monitor/custom_detection_rules/new_value/
  and .../create_rule/real_time_rule/?tab=newvalue): values of the one metric field are
  learned per group-by value ("a value that had not been observed for the current scope").
  learningMethod `duration`: the learning period runs from the rule's creation, which is
  the first event the rule sees ("Once configured, logs coming in over the next 7 days
  are evaluated ... If a log comes in with a new value after the learning duration, a
  signal is generated"), so a group first seen after it signals on its first value;
  learningDuration 0: only the first value is learned (OpenAPI: "a signal will be
  generated for all new values after the first value is learned"). learningMethod
  `threshold` ("a threshold method that needs no warmup"): no learning period; a group's
  first `learningThreshold` occurrences (0 or 1) are learned without signalling (CHOICE:
  the OpenAPI's "a number of occurrences after which signals will be generated for values
  that weren't learned" does not say whose occurrences; here, the group's). A value unseen
  for `forgetAfter` days is new again. Refused: instantaneousBaseline true (it builds the
  baseline from logs before the rule existed, which the engine never has), learningThreshold
  with learningMethod duration, learningDuration with learningMethod threshold, and more
  than one metric (Datadog's docs leave open whether the combination or each value must be
  new).
- impossible_travel (https://docs.datadoghq.com/security/cloud_siem/detect_and_monitor/custom_detection_rules/impossible_travel/):
  per user, consecutive events with coordinates; it signals when the distance is over
  500 km and the implied speed over 1,000 km/h (the page's numbers). With
  baselineUserLocations, as that page's "Baseline user locations enabled" says: a
  learning period of 24 hours for each user (from the user's first event) during which
  locations are learned and nothing signals; a location (country and city) the user was
  seen at is common and does not signal; locations not seen again for 30 days are
  forgotten; and an impossible travel from A to B that already happened before (the
  "IP transition pattern": a VPN that puts a London user in New York every morning) does
  not signal again (CHOICE: transitions are remembered by location, and forgotten like
  locations, after 30 days).
- signal correlation (https://docs.datadoghq.com/security/cloud_siem/detect_and_monitor/custom_detection_rules/signal_correlation_rules/):
  each query names another rule (`ruleId`); its signals are the query's events, at the
  time each signal was opened (CHOICE: its first_seen), correlated by `correlatedByFields`
  (at most 3, the same for every query, as Datadog's editor sets them). A signal carries
  its group-by values and the attributes of the log that opened it (CHOICE: the group-by
  value first, then that log; `correlatedQueryIndex` names the referenced rule's query
  the fields come from, which validate checks). `event_count` counts those signals in a
  sliding evaluationWindow per correlated value; cases (`a > 0 && b > 0`: order does not
  matter; Datadog's separate "then" operator is not simulated), keepAlive and
  maxSignalDuration work as for threshold.
- sequence_detection is refused: Datadog's docs and OpenAPI
  (SecurityMonitoringRuleSequenceDetectionOptions) do not say how a step's own
  evaluationWindow and its transition's combine, nor whether a step's counts restart after
  the step before it matched, so a simulation would be a guess.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .errors import ContentError
from .event import get_path
from .model import (
    AGGREGATIONS,
    DEFAULT_FORGET_AFTER_DAYS,
    DEFAULT_LEARNING_DURATION_DAYS,
    DEFAULT_LEARNING_METHOD,
    DETECTION_METHODS,
    FORGET_AFTER_DAYS,
    LEARNING_DURATION_DAYS,
    LEARNING_METHODS,
    LEARNING_THRESHOLDS,
    MAX_CORRELATED_FIELDS,
    SEVERITIES,
    SIGNAL_AGGREGATIONS,
    WINDOW_ORDER,
    WINDOWS,
    window_order_problems,
)
from .search import compile_query

SPEED_KMH = 1000.0
MIN_DISTANCE_KM = 500.0
DAY_MS = 86_400_000
TRAVEL_LEARNING_MS = DAY_MS  # baselineUserLocations: "a learning period of 24 hours for each user"
TRAVEL_FORGET_MS = 30 * DAY_MS  # "Encountered locations are forgotten after 30 days"
_OPTIONS = {*WINDOW_ORDER, "detectionMethod", "newValueOptions", "impossibleTravelOptions"}
_METHOD_OPTIONS = {"newValueOptions": "new_value", "impossibleTravelOptions": "impossible_travel"}
_NEW_VALUE_OPTIONS = {"forgetAfter", "learningDuration", "learningMethod", "learningThreshold", "instantaneousBaseline"}
_TRAVEL_OPTIONS = {"baselineUserLocations"}
_SIGNAL_QUERY_KEYS = {"name", "ruleId", "correlatedByFields", "correlatedQueryIndex", "aggregation"}


@dataclass
class Signal:
    rule_name: str
    status: str
    case: str
    group: dict
    first_seen: int
    last_seen: int
    samples: list = field(default_factory=list)
    count: int = 0
    event: dict | None = field(default=None, repr=False, compare=False)  # the log that opened it


# -- case conditions --------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(\d+)|([a-z])\b|(>=|<=|==|!=|>|<)|(&&|\|\|)|(\(|\)))")


def compile_condition(text: str, names: set[str]):
    """`a > 3 && (b >= 1 || c == 0)` -> a function of {name: value}; no eval."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ContentError(f"case condition {text!r}: cannot read {text[pos:].strip()!r}")
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    index = 0

    def peek():
        return tokens[index] if index < len(tokens) else None

    def take():
        nonlocal index
        index += 1
        return tokens[index - 1]

    def operand():
        tok = take() if peek() is not None else None
        if tok is None:
            raise ContentError(f"case condition {text!r}: ends too early")
        if tok.isdigit():
            value = int(tok)
            return lambda v: value
        if re.fullmatch(r"[a-z]", tok):
            if tok not in names:
                raise ContentError(f"case condition {text!r}: no query named {tok!r}")
            return lambda v: v.get(tok, 0)
        raise ContentError(f"case condition {text!r}: unexpected {tok!r}")

    def comparison():
        if peek() == "(":
            take()
            inner = disjunction()
            if take() != ")" if peek() else True:
                raise ContentError(f"case condition {text!r}: missing ')'")
            return inner
        left = operand()
        op = take() if peek() in (">=", "<=", "==", "!=", ">", "<") else None
        if op is None:
            raise ContentError(f"case condition {text!r}: expected a comparison such as 'a > 0'")
        right = operand()
        ops = {
            ">": lambda x, y: x > y,
            ">=": lambda x, y: x >= y,
            "<": lambda x, y: x < y,
            "<=": lambda x, y: x <= y,
            "==": lambda x, y: x == y,
            "!=": lambda x, y: x != y,
        }[op]
        return lambda v: ops(left(v), right(v))

    def conjunction():
        parts = [comparison()]
        while peek() == "&&":
            take()
            parts.append(comparison())
        return lambda v: all(p(v) for p in parts)

    def disjunction():
        parts = [conjunction()]
        while peek() == "||":
            take()
            parts.append(conjunction())
        return lambda v: any(p(v) for p in parts)

    result = disjunction()
    if index != len(tokens):
        raise ContentError(f"case condition {text!r}: unexpected {tokens[index]!r}")
    return result


# -- rules ------------------------------------------------------------------------------
def compile_cases(rule_name: str, body: dict, names: set[str]) -> list[tuple]:
    """A rule's cases, in order: (name, status, condition over the query names); log and
    signal correlation rules alike."""
    cases = []
    for i, case in enumerate(body.get("cases") or []):
        status = case.get("status")
        if status not in SEVERITIES:
            raise ContentError(f"rule {rule_name!r}: cases[{i}].status {status!r} is not one of {SEVERITIES}")
        condition = (case.get("condition") or "").strip()
        check = compile_condition(condition, names) if condition else (lambda v: True)
        cases.append((case.get("name", ""), status, check))
    if not cases:
        raise ContentError(f"rule {rule_name!r}: cases is empty")
    return cases


def _strip(path: str) -> str:
    return path[1:] if path.startswith("@") else path


@dataclass
class _Query:
    name: str
    search: Any  # a compiled query (contentkit.search)
    aggregation: str
    group_by: list
    distinct: list
    metrics: list

    def __post_init__(self):
        # the hot call, bound once (a signal query has no search: its matches are given)
        self.match = self.search.matches if self.search is not None else _no_match


def _no_match(event) -> bool:
    return False


def _windows(name: str, options: dict) -> tuple[int, int, int]:
    """evaluationWindow, keepAlive, maxSignalDuration: Datadog's values, in order."""
    for key in WINDOW_ORDER:
        if options.get(key, 0) not in WINDOWS:
            raise ContentError(f"rule {name!r}: options.{key} {options.get(key)!r} is not one of {WINDOWS}")
    disorder = window_order_problems(options)
    if disorder:
        key, message = disorder[0]
        raise ContentError(f"rule {name!r}: options.{key} {message}")
    return options.get("evaluationWindow", 0), options.get("keepAlive", 0), options.get("maxSignalDuration", 0)


def _refuse_unknown(rule_name: str, where: str, given, known: set[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise ContentError(f"rule {rule_name!r}: {where}.{unknown[0]} is not supported by the engine")


def _option(rule_name: str, where: str, options: dict, key: str, default, allowed: tuple):
    value = options.get(key, default)
    if value not in allowed or isinstance(value, bool) != isinstance(default, bool):
        raise ContentError(f"rule {rule_name!r}: {where}.{key} {value!r} is not one of {allowed}")
    return value


class CompiledRule:
    def __init__(self, body: dict):
        self.body = body
        self.name = body.get("name", "")
        if body.get("type", "log_detection") != "log_detection":
            raise ContentError(
                f"rule {self.name!r}: type {body.get('type')!r} is not a log detection rule "
                "(a signal_correlation rule is compiled with compile_correlation)"
            )
        options = body.get("options") or {}
        self.method = options.get("detectionMethod", "threshold")
        if self.method not in DETECTION_METHODS:
            raise ContentError(
                f"rule {self.name!r}: options.detectionMethod {self.method!r} is not supported by the engine"
            )
        _refuse_unknown(self.name, "options", options, _OPTIONS)
        for key, method in _METHOD_OPTIONS.items():
            if key in options and method != self.method:
                raise ContentError(f"rule {self.name!r}: options.{key} applies to detectionMethod {method} only")
        self.window, self.keep_alive, self.max_duration = _windows(self.name, options)
        self._new_value_options(options.get("newValueOptions") or {})
        travel = options.get("impossibleTravelOptions") or {}
        _refuse_unknown(self.name, "options.impossibleTravelOptions", travel, _TRAVEL_OPTIONS)
        self.baseline = _option(
            self.name, "options.impossibleTravelOptions", travel, "baselineUserLocations", False, (False, True)
        )
        self.queries: list[_Query] = []
        for i, q in enumerate(body.get("queries") or []):
            aggregation = q.get("aggregation", "count")
            if aggregation not in AGGREGATIONS:
                raise ContentError(f"rule {self.name!r}: queries[{i}].aggregation {aggregation!r} is not supported")
            self.queries.append(
                _Query(
                    q.get("name") or "abcdefghij"[i],
                    compile_query(q.get("query", "")),
                    aggregation,
                    [_strip(g) for g in q.get("groupByFields") or []],
                    [_strip(g) for g in q.get("distinctFields") or []],
                    [_strip(g) for g in q.get("metrics") or []],
                )
            )
        if not self.queries:
            raise ContentError(f"rule {self.name!r}: queries is empty")
        first = self.queries[0]
        if self.method == "new_value" and (first.aggregation != "new_value" or len(first.metrics) != 1):
            raise ContentError(
                f"rule {self.name!r}: queries[0] must use aggregation new_value with one metric "
                f"(queries[0].metrics: {len(first.metrics)}; several are not supported by the engine)"
            )
        if self.method == "impossible_travel" and self.queries[0].aggregation != "geo_data":
            raise ContentError(f"rule {self.name!r}: queries[0] must use aggregation geo_data")
        names = {q.name for q in self.queries}
        self.cases = compile_cases(self.name, body, names)

    def _new_value_options(self, nv: dict) -> None:
        where = "options.newValueOptions"
        _refuse_unknown(self.name, where, nv, _NEW_VALUE_OPTIONS)
        if nv.get("instantaneousBaseline") not in (None, False):
            raise ContentError(
                f"rule {self.name!r}: {where}.instantaneousBaseline {nv['instantaneousBaseline']!r} is not supported "
                "by the engine (it has no logs from before the rule to build the baseline from)"
            )
        self.learning_method = _option(
            self.name, where, nv, "learningMethod", DEFAULT_LEARNING_METHOD, LEARNING_METHODS
        )
        days = _option(self.name, where, nv, "learningDuration", DEFAULT_LEARNING_DURATION_DAYS, LEARNING_DURATION_DAYS)
        self.learning_threshold = _option(self.name, where, nv, "learningThreshold", 0, LEARNING_THRESHOLDS)
        forget = _option(self.name, where, nv, "forgetAfter", DEFAULT_FORGET_AFTER_DAYS, FORGET_AFTER_DAYS)
        if self.learning_method == "duration" and self.learning_threshold:
            raise ContentError(
                f"rule {self.name!r}: {where}.learningThreshold applies to learningMethod threshold only"
            )
        if self.learning_method == "threshold" and days:
            raise ContentError(f"rule {self.name!r}: {where}.learningDuration applies to learningMethod duration only")
        self.learning_ms = days * DAY_MS
        self.forget_ms = forget * DAY_MS

    def attributes(self) -> set[str]:
        out = set()
        for q in self.queries:
            out |= {a for a in q.search.attributes() if not a.startswith("tag:")}
            out |= set(q.group_by) | set(q.distinct) | set(q.metrics)
        return out

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, events: list[dict]) -> list[Signal]:
        run = self.start()
        ordered = sorted(events, key=lambda e: e.get("timestamp", 0))
        if ordered:
            run.created(ordered[0].get("timestamp", 0))
        for event in ordered:
            run.push(event)
        return run.signals

    def start(self, max_samples: int = 10, sample=None) -> Evaluation:
        """An evaluation fed one event at a time, in time order (memory bounded by the
        rule's windows, not by the number of events: for months of logs). `sample`
        turns a triggering event into what the signal keeps (default: the event)."""
        return Evaluation(self, max_samples, sample)

    def _group(self, query: _Query, event: dict):
        values = []
        for path in query.group_by:
            value = get_path(event, path)
            if value is None or value == "" or isinstance(value, (dict, list)):
                return None
            values.append(value)
        return tuple(values)


class Evaluation:
    SWEEP_EVERY = 50_000  # events between sweeps of groups whose window has passed

    def __init__(self, rule: CompiledRule, max_samples: int = 10, sample=None):
        self.rule = rule
        self.max_samples = max_samples
        self.sample = sample or (lambda event: event)
        self._pushed = 0
        self._given: set | None = None
        self.signals: list[Signal] = []
        self._open: dict[tuple, Signal] = {}
        self._step = {"new_value": self._new_value, "impossible_travel": self._travel}.get(rule.method, self._threshold)
        self._recent: dict[tuple, _Bucket] = {}  # threshold: (query, group) -> events in the window
        self._start: int | None = None  # new_value: the rule's creation (see `created`)
        self._learned_any = False  # new_value: its first value is always learned
        self._seen: dict[tuple, dict] = {}  # new_value: group -> value -> last seen
        self._occurrences: dict[tuple, int] = {}  # new_value, learningMethod threshold: group -> events
        self._previous: dict[tuple, tuple] = {}  # travel: group -> (ts, lat, lon, place)
        self._users: dict[tuple, _TravelBaseline] = {}  # travel with baselineUserLocations

    def created(self, ts: int) -> None:
        """The rule exists from `ts` on: new_value's learning period runs from here, as it
        runs from a rule's creation in Datadog, not from the first log its query matches
        (a hosting network first used on day 9 is new after 7 days of learning)."""
        if self._start is None:
            self._start = ts

    def push(self, event: dict, matched: set | None = None) -> None:
        """Feed the next event; events must come in time order. `matched`: the names
        of the rule's queries that match it, when computed elsewhere (hunt's workers)."""
        # the step functions test `q.match(event) if self._given is None else q.name in
        # self._given` inline: it runs for every query of every event pushed (hot path)
        self._given = matched
        triggers = self._step(event)
        if triggers:
            for trigger in triggers:
                self._signal(*trigger)
        self._pushed += 1
        if not self._pushed % self.SWEEP_EVERY:
            self._sweep(event.get("timestamp", 0))

    def _sweep(self, now: int) -> None:
        """Forget threshold groups with nothing left in their window, and signals that
        can no longer be extended, so memory follows the windows, not the history."""
        rule = self.rule
        horizon = now - max(rule.window * 1000, 1000)
        self._recent = {k: b for k, b in self._recent.items() if b.times and b.times[-1] > horizon}
        self._open = {
            g: s
            for g, s in self._open.items()
            if now - s.last_seen <= rule.keep_alive * 1000 and now - s.first_seen <= rule.max_duration * 1000
        }

    def _threshold(self, event):
        rule = self.rule
        window_ms = rule.window * 1000
        ts = event.get("timestamp", 0)
        touched = None
        for q in rule.queries:
            if q.match(event) if self._given is None else q.name in self._given:
                group = rule._group(q, event)
                if group is None:
                    continue
                key = (q.name, group)
                bucket = self._recent.get(key)
                if bucket is None:
                    bucket = self._recent[key] = _Bucket()
                value = None
                if q.aggregation == "cardinality" and q.distinct:
                    value = get_path(event, q.distinct[0])
                    value = None if value is None else _hashable(value)
                bucket.add(ts, value)
                if touched is None:
                    touched = [group]
                elif group not in touched:
                    touched.append(group)
        if touched is None:
            return None
        lo = ts - window_ms if window_ms else ts - 999
        second = None if window_ms else ts // 1000
        out = []
        for group in touched:
            values = {}
            for q in rule.queries:
                bucket = self._recent.get((q.name, group))
                if bucket is None:
                    values[q.name] = 0
                    continue
                bucket.expire(lo, second)
                values[q.name] = len(bucket.counts) if q.aggregation == "cardinality" else len(bucket.times)
            for case_name, status, check in rule.cases:
                if check(values):
                    out.append((group, ts, event, case_name, status))
                    break
        return out

    def _new_value(self, event):
        rule = self.rule
        q = rule.queries[0]
        if not (q.match(event) if self._given is None else q.name in self._given):
            return None
        group = rule._group(q, event)
        value = get_path(event, q.metrics[0])
        if group is None or value is None or value == "":
            return None
        case_name, status, _ = rule.cases[0]
        ts = event.get("timestamp", 0)
        first = not self._learned_any
        self._learned_any = True
        self._start = ts if self._start is None else self._start
        values = self._seen.setdefault(group, {})
        key = _hashable(value)
        last = values.get(key)
        values[key] = ts
        if rule.learning_method == "threshold":
            seen = self._occurrences.get(group, 0)
            self._occurrences[group] = seen + 1
            if seen < rule.learning_threshold:
                return None  # the group's first occurrences are learned
        elif (first and not rule.learning_ms) or ts - self._start < rule.learning_ms:
            return None  # the rule's learning period (learningDuration 0: its first value)
        if last is None or ts - last > rule.forget_ms:
            return [(group + (key,), ts, event, case_name, status)]
        return None

    def _travel(self, event):
        rule = self.rule
        q = rule.queries[0]
        if not (q.match(event) if self._given is None else q.name in self._given):
            return None
        case_name, status, _ = rule.cases[0]
        group = rule._group(q, event)
        geo = get_path(event, "network.client.geoip") or {}
        location = geo.get("location") or {}
        lat, lon = location.get("latitude"), location.get("longitude")
        if group is None or not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            return None
        ts = event.get("timestamp", 0)
        place = ((geo.get("country") or {}).get("iso_code"), (geo.get("city") or {}).get("name"))
        before = self._previous.get(group)
        self._previous[group] = (ts, lat, lon, place)
        if not rule.baseline:
            if before is not None and _impossible(before, ts, lat, lon):
                return [(group, ts, event, case_name, status)]
            return None
        user = self._users.get(group)
        if user is None:
            user = self._users[group] = _TravelBaseline(ts)
        common = user.knows(user.places, place, ts)
        user.places[place] = ts
        if before is None:
            return None
        transition = (before[3], place)
        repeated = user.knows(user.transitions, transition, ts)
        user.transitions[transition] = ts
        if ts - user.first < TRAVEL_LEARNING_MS or common or repeated:
            return None  # learning, a common location, or a travel pattern seen before
        if _impossible(before, ts, lat, lon):
            return [(group, ts, event, case_name, status)]
        return None

    def _signal(self, group, ts, event, case_name, status) -> None:
        rule = self.rule
        current = self._open.get(group)
        if (
            current is not None
            and ts - current.last_seen <= rule.keep_alive * 1000
            and ts - current.first_seen <= rule.max_duration * 1000
        ):
            current.last_seen = ts
            current.count += 1
            if len(current.samples) < self.max_samples:
                current.samples.append(self.sample(event))
            if SEVERITIES.index(status) > SEVERITIES.index(current.status):
                current.status, current.case = status, case_name
            return
        group_fields = rule.queries[0].group_by
        labels = dict(zip(group_fields, group))
        if len(group) > len(group_fields) and rule.method == "new_value":
            labels[rule.queries[0].metrics[0]] = group[-1]
        signal = Signal(rule.name, status, case_name, labels, ts, ts, [self.sample(event)], 1, event)
        self._open[group] = signal
        self.signals.append(signal)


class _TravelBaseline:
    """One user's learned locations and travels (baselineUserLocations), each with when it
    was last seen, so what is not seen for 30 days is forgotten."""

    __slots__ = ("first", "places", "transitions")

    def __init__(self, first: int):
        self.first = first
        self.places: dict = {}
        self.transitions: dict = {}

    @staticmethod
    def knows(seen: dict, key, ts: int) -> bool:
        last = seen.get(key)
        return last is not None and ts - last <= TRAVEL_FORGET_MS


def _impossible(before: tuple, ts: int, lat: float, lon: float) -> bool:
    """Over 500 km at over 1,000 km/h from the previous location."""
    distance = haversine_km(before[1], before[2], lat, lon)
    hours = max((ts - before[0]) / 3_600_000, 1 / 3600)
    return distance > MIN_DISTANCE_KM and distance / hours > SPEED_KMH


class _Bucket:
    """One (query, group)'s events in the evaluation window, oldest first: times, and
    the distinct field's values with their counts, so that expiring and counting cost
    O(1) per event instead of a pass over the window."""

    __slots__ = ("times", "values", "counts")

    def __init__(self):
        self.times: deque = deque()
        self.values: deque = deque()
        self.counts: dict = {}

    def add(self, ts: int, value) -> None:
        self.times.append(ts)
        self.values.append(value)
        if value is not None:
            self.counts[value] = self.counts.get(value, 0) + 1

    def expire(self, lo: int, second: int | None) -> None:
        """Drop events at or before `lo` (window 0: keep those of the same second)."""
        times, values, counts = self.times, self.values, self.counts
        while times and not (times[0] > lo or (second is not None and times[0] // 1000 == second)):
            times.popleft()
            value = values.popleft()
            if value is not None:
                n = counts[value] - 1
                if n:
                    counts[value] = n
                else:
                    del counts[value]


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def compile_rule(body: dict) -> CompiledRule:
    return CompiledRule(body)


# -- signal correlation ------------------------------------------------------------------
class CorrelationRule(CompiledRule):
    """A signal correlation rule (type signal_correlation): its queries are other rules'
    signals, grouped by the correlated fields and counted in the evaluation window with the
    threshold machinery (each signal is one event, at its first_seen)."""

    def __init__(self, body: dict):  # not super().__init__: that reads log queries, this signal queries
        self.body = body
        self.name = body.get("name", "")
        if body.get("type") != "signal_correlation":
            raise ContentError(f"rule {self.name!r}: type {body.get('type')!r} is not signal_correlation")
        options = body.get("options") or {}
        _refuse_unknown(self.name, "options", options, set(WINDOW_ORDER))
        self.window, self.keep_alive, self.max_duration = _windows(self.name, options)
        self.method = "threshold"  # the counting and signal life of a threshold rule
        self.baseline = False
        self.queries = []
        self.rule_ids: list[str] = []
        fields = None
        for i, q in enumerate(body.get("queries") or []):
            where = f"queries[{i}]"
            _refuse_unknown(self.name, where, q, _SIGNAL_QUERY_KEYS)
            aggregation = q.get("aggregation", "event_count")
            if aggregation not in SIGNAL_AGGREGATIONS:
                raise ContentError(
                    f"rule {self.name!r}: {where}.aggregation {aggregation!r} is not supported for signals"
                )
            if not isinstance(q.get("ruleId"), str) or not q["ruleId"]:
                raise ContentError(f"rule {self.name!r}: {where}.ruleId is missing")
            correlated = q.get("correlatedByFields") or []
            if not 1 <= len(correlated) <= MAX_CORRELATED_FIELDS:
                raise ContentError(
                    f"rule {self.name!r}: {where}.correlatedByFields needs 1 to {MAX_CORRELATED_FIELDS} fields"
                )
            if fields is not None and [_strip(f) for f in correlated] != fields:
                raise ContentError(f"rule {self.name!r}: {where}.correlatedByFields differs from queries[0]'s")
            fields = [_strip(f) for f in correlated]
            self.rule_ids.append(q["ruleId"])
            self.queries.append(_Query(q.get("name") or "abcdefghij"[i], None, "count", fields, [], []))
        if not self.queries:
            raise ContentError(f"rule {self.name!r}: queries is empty")
        self.fields: list[str] = fields or []
        names = {q.name for q in self.queries}
        if len(names) != len(self.queries):
            raise ContentError(f"rule {self.name!r}: query names must differ")
        self.cases = compile_cases(self.name, body, names)

    def correlate(self, signals: dict[str, list[Signal]], max_samples: int = 10) -> list[Signal]:
        """The correlation signals of the referenced rules' signals ({rule id: signals})."""
        names: dict[str, set] = {}
        for q, rule_id in zip(self.queries, self.rule_ids):
            names.setdefault(rule_id, set()).add(q.name)
        items: list[tuple[int, int, dict, set]] = []
        for rule_id, matched in names.items():
            for signal in signals.get(rule_id, ()):
                item = {"timestamp": signal.first_seen, "rule": rule_id, "signal": signal}
                for path in self.fields:
                    item[path] = correlated_value(signal, path)
                items.append((signal.first_seen, len(items), item, matched))
        run = Evaluation(self, max_samples, _signal_sample)
        for _, _, item, matched in sorted(items, key=lambda t: (t[0], t[1])):
            run.push(item, matched)
        return run.signals

    def evaluate(self, events: list[dict]) -> list[Signal]:
        raise ContentError(f"rule {self.name!r}: a signal correlation rule runs on signals (correlate), not logs")


def correlated_value(signal: Signal, path: str):
    """A correlated field of a signal: its group-by value, else the attribute of the log
    that opened it; None (never correlated) when absent or not a plain value."""
    value = signal.group.get(path)
    if value is None and signal.event is not None:
        value = get_path(signal.event, path)
    return None if isinstance(value, (dict, list)) else value


def _signal_sample(item: dict) -> dict:
    s = item["signal"]
    return {"rule": item["rule"], "name": s.rule_name, "status": s.status, "group": s.group, "first_seen": s.first_seen}


def compile_correlation(body: dict) -> CorrelationRule:
    return CorrelationRule(body)
