"""Run a rule's own tests: raw Zoom lines at relative times -> pipeline -> rule -> signals.

A test log's `at` is seconds from the test's base time (or '-8d', '-2h', '+30m',
'90s'); `repeat` and `every` make bursts. The log's `time` is set from it (a meeting
activity log's `activity_time`, in Zoom's `yyyy-MM-dd HH:mm:ss:SSS`, unless the test
gives one), so windows and learning periods are exercised with real timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .errors import ContentError
from .event import from_ndjson_line, time_field
from .model import SEVERITIES, SOURCE, TestLog

BASE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_OFFSET = re.compile(r"^([+-]?\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def offset_seconds(at) -> int:
    if isinstance(at, bool):
        raise ContentError(f"bad test time offset {at!r}")
    if isinstance(at, int):
        return at
    match = _OFFSET.match(str(at).strip())
    if not match:
        raise ContentError(f"bad test time offset {at!r} (use seconds, or -8d, -2h, +30m, 90s)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def expand_test_logs(logs: Iterable[dict | TestLog], base: datetime = BASE_TIME) -> list[dict]:
    """The raw collector lines of a test (typed, or as in the rule file), each with its
    `time`, in the order written."""
    lines: list[dict] = []
    for item in logs:
        entry = item if isinstance(item, TestLog) else TestLog.from_dict(item)
        start = offset_seconds(0 if entry.at is None else entry.at)
        for k in range(1 if entry.repeat is None else entry.repeat):
            line = dict(entry.log)
            when = base + timedelta(seconds=start + k * (entry.every or 0))
            own = time_field(line)
            if own != "time":
                # the meeting report's own time field, in its shape; it has no `time`
                line.setdefault(own, when.strftime("%Y-%m-%d %H:%M:%S:000"))
            else:
                line["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            line.setdefault("account", "default")
            line.setdefault("record_id", f"test{len(lines):028d}")
            lines.append(line)
    return lines


def process_logs(lines: list[dict], packs) -> list[dict]:
    """Run lines through every pipeline, as Datadog would before detection."""
    from .processors import compile_pipeline

    pipelines = [compile_pipeline(pack.definition) for pack in packs]
    events = []
    for line in lines:
        event = from_ndjson_line(line)
        for pipeline in pipelines:
            pipeline.process(event)
        events.append(event)
    return events


@dataclass
class TestOutcome:
    name: str
    passed: bool
    detail: str
    signals: list = field(default_factory=list)


def run_rule_tests(
    rule, packs, rule_body: dict, referenced: dict[str, dict] | None = None, suppressions=None
) -> list[TestOutcome]:
    """Every test of one rule: does it fire (with the expected status and count) or not.
    A signal correlation rule's test logs go to the rules it references (`referenced`:
    rule id -> API body), and it runs on their signals. `suppressions`
    (contentkit.tuning.Suppressions): a deployment's tuning applied as hunt applies it, to
    each rule that runs (its data exclusions before, its signal suppressions after)."""
    from .detect import compile_correlation, compile_rule

    def run(rule_id: str, compiled, events):
        if suppressions is None:
            return compiled.evaluate(events)
        return suppressions.keep_signals(rule_id, compiled.evaluate(suppressions.keep_events(rule_id, events)))

    if rule_body.get("type") == "signal_correlation":
        correlation = compile_correlation(rule_body)
        missing = [rid for rid in correlation.rule_ids if rid not in (referenced or {})]
        if missing:
            raise ContentError(f"rule {rule.id!r}: references {missing[0]!r}, which is not a rule of the pack")
        bases = {rid: compile_rule((referenced or {})[rid]) for rid in dict.fromkeys(correlation.rule_ids)}

        def evaluate(events):
            signals = correlation.correlate({rid: run(rid, base, events) for rid, base in bases.items()})
            return signals if suppressions is None else suppressions.keep_signals(rule.id, signals)
    else:
        compiled = compile_rule(rule_body)

        def evaluate(events):
            return run(rule.id, compiled, events)

    outcomes = []
    for test in rule.model.tests:
        events = process_logs(expand_test_logs(test.logs), packs)
        signals = evaluate(events)
        fired = bool(signals)
        problems = []
        if fired != test.fires:
            problems.append(f"expected {'a signal' if test.fires else 'no signal'}, got {len(signals)}")
        if test.status is not None and fired and max_status(signals) != test.status:
            problems.append(f"expected status {test.status}, got {max_status(signals)}")
        if test.signals is not None and len(signals) != test.signals:
            problems.append(f"expected {test.signals} signal(s), got {len(signals)}")
        outcomes.append(TestOutcome(test.name, not problems, "; ".join(problems), signals))
    return outcomes


def max_status(signals) -> str:
    return max((s.status for s in signals), key=SEVERITIES.index)


def remote_test_payloads(rule, packs) -> list[dict]:
    """Each test log as a /rules/test query payload, with the result our simulator expects
    (none for a signal correlation rule: it has no log queries)."""
    import json

    from .model import RuleFile
    from .search import compile_query

    if not isinstance(rule.model, RuleFile):
        return []
    queries = [compile_query(q.query) for q in rule.model.queries]
    payloads = []
    for test in rule.model.tests:
        logs = expand_test_logs(test.logs)
        for log, event in zip(logs, process_logs(logs, packs)):
            for index, query in enumerate(queries):
                payloads.append(
                    {
                        "expectedResult": query.matches(event),
                        "index": index,
                        "payload": {
                            "ddsource": SOURCE,
                            "ddtags": "",
                            "hostname": "zoom-activity-logs",
                            "service": "zoom",
                            "message": json.dumps(log, ensure_ascii=False),
                        },
                    }
                )
    return payloads
