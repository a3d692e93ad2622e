"""A local Cloud SIEM engine: log detection rules evaluated with Datadog's semantics.

Input: the exact body of POST /api/v2/security_monitoring/rules (type
log_detection) and processed events (after the pipeline, `timestamp` in ms).
Output: signals. Supported detection methods: threshold, new_value,
impossible_travel; anything else is refused by name.

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
- new_value: per group, values of the one metric field are learned for
  `learningDuration` days from the first event the rule sees (its creation, as in
  Datadog); afterwards a value unseen for `forgetAfter` days signals.
- impossible_travel: per user, consecutive events with coordinates; it signals
  when the distance is over 500 km and the implied speed over 1,000 km/h (CHOICE:
  Datadog documents "a distance no human could travel in the time between", not
  the numbers). With baselineUserLocations, a destination the user already signed
  in from (same country and city) does not signal.
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
    DETECTION_METHODS,
    SEVERITIES,
    WINDOW_ORDER,
    WINDOWS,
    window_order_problems,
)
from .search import compile_query

SPEED_KMH = 1000.0
MIN_DISTANCE_KM = 500.0
DAY_MS = 86_400_000


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
        self.match = self.search.matches  # the hot call, bound once


class CompiledRule:
    def __init__(self, body: dict):
        self.body = body
        self.name = body.get("name", "")
        options = body.get("options") or {}
        self.method = options.get("detectionMethod", "threshold")
        if self.method not in DETECTION_METHODS:
            raise ContentError(
                f"rule {self.name!r}: options.detectionMethod {self.method!r} is not supported by the engine"
            )
        for key in WINDOW_ORDER:
            if options.get(key, 0) not in WINDOWS:
                raise ContentError(f"rule {self.name!r}: options.{key} {options.get(key)!r} is not one of {WINDOWS}")
        self.window = options.get("evaluationWindow", 0)
        self.keep_alive = options.get("keepAlive", 0)
        self.max_duration = options.get("maxSignalDuration", 0)
        disorder = window_order_problems(options)
        if disorder:
            key, message = disorder[0]
            raise ContentError(f"rule {self.name!r}: options.{key} {message}")
        self.new_value = options.get("newValueOptions") or {}
        self.travel = options.get("impossibleTravelOptions") or {}
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
            raise ContentError(f"rule {self.name!r}: queries[0] must use aggregation new_value with one metric")
        if self.method == "impossible_travel" and self.queries[0].aggregation != "geo_data":
            raise ContentError(f"rule {self.name!r}: queries[0] must use aggregation geo_data")
        names = {q.name for q in self.queries}
        self.cases = []
        for i, case in enumerate(body.get("cases") or []):
            status = case.get("status")
            if status not in SEVERITIES:
                raise ContentError(f"rule {self.name!r}: cases[{i}].status {status!r} is not one of {SEVERITIES}")
            condition = (case.get("condition") or "").strip()
            check = compile_condition(condition, names) if condition else (lambda v: True)
            self.cases.append((case.get("name", ""), status, check))
        if not self.cases:
            raise ContentError(f"rule {self.name!r}: cases is empty")

    def attributes(self) -> set[str]:
        out = set()
        for q in self.queries:
            out |= {a for a in q.search.attributes() if not a.startswith("tag:")}
            out |= set(q.group_by) | set(q.distinct) | set(q.metrics)
        return out

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, events: list[dict]) -> list[Signal]:
        run = self.start()
        for event in sorted(events, key=lambda e: e.get("timestamp", 0)):
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
        self._start = None  # new_value: first event seen
        self._seen: dict[tuple, dict] = {}  # new_value: group -> value -> last seen
        self._previous: dict[tuple, tuple] = {}  # travel: group -> (ts, lat, lon)
        self._places: dict[tuple, set] = {}  # travel: group -> known (country, city)

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
        learning_ms = rule.new_value.get("learningDuration", DEFAULT_LEARNING_DURATION_DAYS) * DAY_MS
        forget_ms = rule.new_value.get("forgetAfter", DEFAULT_FORGET_AFTER_DAYS) * DAY_MS
        case_name, status, _ = rule.cases[0]
        ts = event.get("timestamp", 0)
        self._start = ts if self._start is None else self._start
        values = self._seen.setdefault(group, {})
        key = _hashable(value)
        last = values.get(key)
        values[key] = ts
        if ts - self._start < learning_ms:
            return None
        if last is None or ts - last > forget_ms:
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
        known = self._places.setdefault(group, set())
        before = self._previous.get(group)
        self._previous[group] = (ts, lat, lon)
        baseline = bool(rule.travel.get("baselineUserLocations")) and place in known
        known.add(place)
        if before is None or baseline:
            return None
        distance = haversine_km(before[1], before[2], lat, lon)
        hours = max((ts - before[0]) / 3_600_000, 1 / 3600)
        if distance > MIN_DISTANCE_KM and distance / hours > SPEED_KMH:
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
        signal = Signal(rule.name, status, case_name, labels, ts, ts, [self.sample(event)], 1)
        self._open[group] = signal
        self.signals.append(signal)


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
