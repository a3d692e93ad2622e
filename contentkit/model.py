"""The one content model: typed source files, and every constant about them, defined once.

A detection rule (siem_rules/<id>.yaml), a pipeline (pipelines/<name>/pipeline.yaml and
its tests.yaml) and a dashboard (dashboards/<name>.json) are dataclasses here. The JSON
Schemas in contentkit/schemas/ are generated from them (`python -m contentkit.model
--write-schemas`; a test fails when a committed schema differs from the generated one),
and what JSON Schema cannot say (evaluationWindow <= keepAlive <= maxSignalDuration, the
order of cases, ...) is checked by the model's `problems()`, one (place, message) each.

Datadog's allowed values are copied from its OpenAPI description (v2, the
SecurityMonitoringRule* schemas) into the Literal types below; the tuples next to them are
read from those types, so each list of values is written once. Everything else in
contentkit (loader, validator, rule engine, hunt, docs, tests) imports them from here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

# -- Datadog's values (OpenAPI v2) ------------------------------------------------------

# SecurityMonitoringRuleEvaluationWindow, ...KeepAlive and ...MaxSignalDuration: the same
# seconds, zero minutes to one day.
Window = Literal[0, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
WINDOWS: tuple[int, ...] = get_args(Window)
# Datadog requires evaluationWindow <= keepAlive <= maxSignalDuration (its API answers 400).
WINDOW_ORDER = ("evaluationWindow", "keepAlive", "maxSignalDuration")

# SecurityMonitoringRuleSeverity, lowest first (Datadog's order).
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
SEVERITY_ORDER: tuple[str, ...] = tuple(reversed(SEVERITIES))  # highest first: how cases are ordered

# SecurityMonitoringRuleDetectionMethod and ...QueryAggregation: the ones the local engine
# (contentkit/detect.py) implements; Datadog has more, which the engine refuses by name.
DetectionMethod = Literal["threshold", "new_value", "impossible_travel"]
DETECTION_METHODS: tuple[str, ...] = get_args(DetectionMethod)
Aggregation = Literal["count", "cardinality", "new_value", "geo_data"]
AGGREGATIONS: tuple[str, ...] = get_args(Aggregation)

# SecurityMonitoringRuleTypeCreate's log_detection and SecurityMonitoringSignalRuleType: a rule
# over logs, or a rule over other rules' signals (SecurityMonitoringSignalRuleQuery).
RuleType = Literal["log_detection", "signal_correlation"]
RULE_TYPES: tuple[str, ...] = get_args(RuleType)
# SecurityMonitoringRuleQueryAggregation for a signal query: the engine counts the signals.
SignalAggregation = Literal["event_count"]
SIGNAL_AGGREGATIONS: tuple[str, ...] = get_args(SignalAggregation)
MAX_CORRELATED_FIELDS = 3  # "You can select multiple attributes (maximum of 3)" (signal correlation docs)

# SecurityMonitoringRuleNewValueOptions*: days, a method, occurrences.
ForgetAfter = Literal[1, 2, 7, 14, 21, 28]
LearningDuration = Literal[0, 1, 7]
LearningMethod = Literal["duration", "threshold"]
LearningThreshold = Literal[0, 1]
FORGET_AFTER_DAYS: tuple[int, ...] = get_args(ForgetAfter)
LEARNING_DURATION_DAYS: tuple[int, ...] = get_args(LearningDuration)
LEARNING_METHODS: tuple[str, ...] = get_args(LearningMethod)
LEARNING_THRESHOLDS: tuple[int, ...] = get_args(LearningThreshold)
DEFAULT_FORGET_AFTER_DAYS = 28  # Datadog's default when newValueOptions.forgetAfter is absent
DEFAULT_LEARNING_DURATION_DAYS = 0  # the OpenAPI default
DEFAULT_LEARNING_METHOD = "duration"  # the OpenAPI default

# Dashboards: LayoutType; a dashboard's tags take only team:<name>, five at most.
LayoutType = Literal["ordered", "free"]
MAX_DASHBOARD_TAGS = 5

# -- the pack's own values ------------------------------------------------------------

TACTICS = {
    "TA0001": "initial-access",
    "TA0002": "execution",
    "TA0003": "persistence",
    "TA0004": "privilege-escalation",
    "TA0005": "defense-evasion",
    "TA0006": "credential-access",
    "TA0007": "discovery",
    "TA0008": "lateral-movement",
    "TA0009": "collection",
    "TA0010": "exfiltration",
    "TA0011": "command-and-control",
    "TA0040": "impact",
    "TA0042": "resource-development",
    "TA0043": "reconnaissance",
}
SOURCE = "zoom_activity_logs"  # the `source` the shipper sets; every rule query searches it
CONTENT_ID = "^zoom-[a-z0-9-]+$"  # rule and dashboard ids
SEMVER = r"^\d+\.\d+\.\d+$"  # pipeline and dashboard versions (rules count 1, 2, ...)

# -- schema keywords on a field -------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """The field's name in the file, when it is not the attribute's (camelCase API names)."""

    name: str


def js(**keywords: Any) -> dict[str, Any]:
    """JSON Schema keywords for an Annotated type: js(pattern=..., minLength=1)."""
    return keywords


@dataclass(kw_only=True)
class Model:
    """A source file object: built from a dict that passed the generated schema."""

    SCHEMA: ClassVar[dict[str, Any]] = {}  # title, description
    OPEN: ClassVar[bool] = False  # other keys allowed (kept in `extra`, given back by to_dict)
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, metadata={"extra": True})

    @classmethod
    def from_dict(cls: type[M], data: dict[str, Any]) -> M:
        hints = get_type_hints(cls, include_extras=True)
        values: dict[str, Any] = {}
        known = set()
        for f in _fields(cls):
            key = _key(f, hints[f.name])
            known.add(key)
            if key in data:
                values[f.name] = _convert(hints[f.name], data[key])
        out = cls(**values)
        if cls.OPEN:
            out.extra = {k: v for k, v in data.items() if k not in known}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The file's mapping again (absent optional fields stay absent)."""
        hints = get_type_hints(type(self), include_extras=True)
        out: dict[str, Any] = {}
        for f in _fields(type(self)):
            value = getattr(self, f.name)
            if value is not None:
                out[_key(f, hints[f.name])] = _plain(value)
        out.update(self.extra)
        return out

    def problems(self) -> list[tuple[str, str]]:
        """What the schema cannot check: (place, message), place as in schema errors."""
        return []


M = TypeVar("M", bound=Model)


def _fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("extra")]


def _key(f: dataclasses.Field, hint: Any) -> str:
    for meta in getattr(hint, "__metadata__", ()):
        if isinstance(meta, Key):
            return meta.name
    return f.name


def _strip(tp: Any) -> Any:
    return get_args(tp)[0] if get_origin(tp) is Annotated else tp


def _convert(tp: Any, value: Any) -> Any:
    tp = _strip(tp)
    origin = get_origin(tp)
    if value is None:
        return None
    if isinstance(tp, type) and issubclass(tp, Model):
        return tp.from_dict(value)
    if origin is list:
        (item,) = get_args(tp)
        return [_convert(item, v) for v in value]
    if origin in (Union, types.UnionType):
        for option in get_args(tp):
            option = _strip(option)
            if isinstance(option, type) and issubclass(option, Model) and isinstance(value, dict):
                return option.from_dict(value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- schema generation ----------------------------------------------------------------

_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


def json_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of a type of this module (dataclass, Literal, list, union, ...)."""
    keywords: dict[str, Any] = {}
    if get_origin(tp) is Annotated:
        keywords = {k: v for meta in tp.__metadata__ if isinstance(meta, dict) for k, v in meta.items()}
        tp = get_args(tp)[0]
    origin = get_origin(tp)
    out: dict[str, Any]
    if tp is Any:
        out = {}
    elif isinstance(tp, type) and issubclass(tp, Model):
        out = _object_schema(tp)
    elif origin is Literal:
        out = {"enum": list(get_args(tp))}
    elif origin is list:
        items = json_schema(get_args(tp)[0])
        out = {"type": "array", **({"items": items} if items else {})}
    elif origin is dict or tp is dict:
        out = {"type": "object"}
    elif origin in (Union, types.UnionType):
        options = [o for o in get_args(tp) if o is not type(None)]
        if len(options) == 1:
            out = json_schema(options[0])
        elif all(o in _TYPES for o in options):
            out = {"type": [_TYPES[o] for o in options]}
        else:
            out = {"anyOf": [json_schema(o) for o in options]}
    elif tp in _TYPES:
        out = {"type": _TYPES[tp]}
    else:
        raise TypeError(f"no JSON Schema for {tp!r}")
    # type first, then the field's own keywords, then the structure (a readable file)
    head: dict[str, Any] = {k: out.pop(k) for k in ("type", "enum") if k in out}
    return {**head, **keywords, **out}


def _object_schema(cls: type[Model]) -> dict[str, Any]:
    hints = get_type_hints(cls, include_extras=True)
    fields = _fields(cls)
    required = [
        _key(f, hints[f.name])
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    out: dict[str, Any] = {"type": "object", **cls.SCHEMA}
    if required:
        out["required"] = required
    if not cls.OPEN:
        out["additionalProperties"] = False
    out["properties"] = {_key(f, hints[f.name]): json_schema(hints[f.name]) for f in fields}
    return out


# -- detection rules ------------------------------------------------------------------


@dataclass(kw_only=True)
class RuleQuery(Model):
    name: Annotated[str, js(pattern="^[a-z]$")]
    query: Annotated[str, js(pattern=f"source:{SOURCE}")]
    aggregation: Aggregation
    group_by_fields: Annotated[list[str] | None, Key("groupByFields")] = None
    distinct_fields: Annotated[list[str] | None, Key("distinctFields")] = None
    metrics: list[str] | None = None


@dataclass(kw_only=True)
class RuleCase(Model):
    name: str
    status: Severity
    condition: str | None = None


@dataclass(kw_only=True)
class NewValueOptions(Model):
    forget_after: Annotated[ForgetAfter | None, Key("forgetAfter")] = None
    instantaneous_baseline: Annotated[
        bool | None,
        Key("instantaneousBaseline"),
        js(description="only false: the engine has no logs from before the rule to build a baseline from"),
    ] = None
    learning_duration: Annotated[LearningDuration | None, Key("learningDuration")] = None
    learning_method: Annotated[LearningMethod | None, Key("learningMethod")] = None
    learning_threshold: Annotated[LearningThreshold | None, Key("learningThreshold")] = None


@dataclass(kw_only=True)
class ImpossibleTravelOptions(Model):
    baseline_user_locations: Annotated[bool | None, Key("baselineUserLocations")] = None


@dataclass(kw_only=True)
class WindowOptions(Model):
    """The options every rule has: its time windows (a signal correlation rule has only these)."""

    evaluation_window: Annotated[Window, Key("evaluationWindow")]
    keep_alive: Annotated[Window, Key("keepAlive")]
    max_signal_duration: Annotated[Window, Key("maxSignalDuration")]

    def problems(self) -> list[tuple[str, str]]:
        return [(f"options/{key}", message) for key, message in window_order_problems(self.to_dict())]


@dataclass(kw_only=True)
class RuleOptions(WindowOptions):
    detection_method: Annotated[DetectionMethod, Key("detectionMethod")]
    new_value_options: Annotated[NewValueOptions | None, Key("newValueOptions")] = None
    impossible_travel_options: Annotated[ImpossibleTravelOptions | None, Key("impossibleTravelOptions")] = None


def window_order_problems(options: dict[str, Any]) -> list[tuple[str, str]]:
    """evaluationWindow <= keepAlive <= maxSignalDuration: (field, message) for each value
    below the one before it (absent values count as 0, as the engine reads them)."""
    out = []
    for before, key in zip(WINDOW_ORDER, WINDOW_ORDER[1:], strict=False):
        low, high = options.get(before, 0), options.get(key, 0)
        if isinstance(low, int) and isinstance(high, int) and high < low:
            out.append((key, f"{high} is below {before} {low} ({' <= '.join(WINDOW_ORDER)})"))
    return out


@dataclass(kw_only=True)
class TestLog(Model):
    __test__ = False  # not a pytest class
    at: Annotated[int | str | None, js(description="seconds from the test's base time, or -8d / -2h / +30m / 90s")] = (
        None
    )
    repeat: Annotated[int | None, js(minimum=1, description="this log N times, `every` seconds apart")] = None
    every: Annotated[int | None, js(minimum=0)] = None
    log: dict[str, Any]


@dataclass(kw_only=True)
class RuleTest(Model):
    __test__ = False
    name: str
    fires: bool
    status: Severity | None = None
    signals: Annotated[int | None, js(minimum=0)] = None
    logs: Annotated[list[TestLog], js(minItems=1)]


@dataclass(kw_only=True)
class SignalRuleQuery(Model):
    """A query of a signal correlation rule: the signals of another rule of the pack
    (SecurityMonitoringSignalRuleQuery; `rule` is the pack id, the build turns it into Datadog's ruleId)."""

    name: Annotated[str, js(pattern="^[a-z]$")]
    rule: Annotated[str, js(pattern=CONTENT_ID, description="the id of another (log detection) rule of this pack")]
    correlated_by_fields: Annotated[
        list[str],
        Key("correlatedByFields"),
        js(minItems=1, maxItems=MAX_CORRELATED_FIELDS, description="attributes the signals share"),
    ]
    correlated_query_index: Annotated[
        int | None,
        Key("correlatedQueryIndex"),
        js(minimum=0, maximum=9, description="the referenced rule's query the correlated fields come from"),
    ] = None
    aggregation: SignalAggregation


@dataclass(kw_only=True)
class RuleMetadata(Model):
    """What every rule file has besides its queries and options: the pack's metadata and tests."""

    id: Annotated[str, js(pattern=CONTENT_ID, description="stable id, kept in the pack_id tag; never change it")]
    version: Annotated[int, js(minimum=1)]
    name: Annotated[str, js(minLength=10, maxLength=200)]
    summary: Annotated[str, js(minLength=10, description="what it catches, one sentence (docs/detections.md)")]
    tactic: Annotated[str, js(pattern=r"^TA00\d\d$")]
    technique: Annotated[str, js(pattern=r"^T\d{4}(\.\d{3})?$")]
    tags: list[Annotated[str, js(pattern="^[a-z0-9_.:/-]+$")]] | None = None
    cases: Annotated[list[RuleCase], js(minItems=1)]
    message: Annotated[str, js(pattern="(?s)## Goal.*## Strategy.*## Triage and response")]
    false_positives: Annotated[list[str], js(minItems=1)]
    peers: Annotated[str, js(description="which peer ships an equivalent, or 'none'")]
    tests: Annotated[list[RuleTest], js(minItems=2)]

    @property
    def severity(self) -> str:
        """The highest status of its cases."""
        return min((c.status for c in self.cases), key=SEVERITY_ORDER.index)

    @property
    def rule_type(self) -> str:
        return "log_detection"

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.tactic not in TACTICS:
            out.append(("tactic", f"{self.tactic!r} is not an ATT&CK enterprise tactic"))
        statuses = [c.status for c in self.cases]
        if statuses != sorted(statuses, key=SEVERITY_ORDER.index):
            out.append(("cases", "order cases from the highest severity down"))
        if not any(t.fires for t in self.tests) or all(t.fires for t in self.tests):
            out.append(("tests", "needs at least one case that fires and one near-miss that does not"))
        return out


@dataclass(kw_only=True)
class RuleFile(RuleMetadata):
    SCHEMA: ClassVar[dict[str, Any]] = {
        "title": "Detection rule source file (siem_rules/<id>.yaml)",
        "description": "queries, cases and options use the field names of POST /api/v2/security_monitoring/rules; "
        "the rest is the pack's metadata and tests",
    }
    type: Annotated[Literal["log_detection"] | None, js(description="absent: log_detection")] = None
    queries: Annotated[list[RuleQuery], js(minItems=1)]
    options: RuleOptions

    @property
    def method(self) -> str:
        """How it detects: its detectionMethod (docs/detections.md's column)."""
        return self.options.detection_method

    def problems(self) -> list[tuple[str, str]]:
        return super().problems() + self.options.problems()


@dataclass(kw_only=True)
class SignalRuleFile(RuleMetadata):
    SCHEMA: ClassVar[dict[str, Any]] = {
        "title": "Signal correlation rule source file (siem_rules/<id>.yaml with type: signal_correlation)",
        "description": "a rule over the signals of other rules of the pack, correlated by shared attributes; "
        "cases and options use the field names of POST /api/v2/security_monitoring/rules",
    }
    type: Literal["signal_correlation"]
    queries: Annotated[list[SignalRuleQuery], js(minItems=1)]
    options: WindowOptions

    @property
    def rule_type(self) -> str:
        return "signal_correlation"

    @property
    def method(self) -> str:
        return "signal_correlation"

    def problems(self) -> list[tuple[str, str]]:
        out = super().problems() + self.options.problems()
        names = [q.name for q in self.queries]
        if len(set(names)) != len(names):
            out.append(("queries", "query names must differ"))
        fields = {tuple(q.correlated_by_fields) for q in self.queries}
        if len(fields) > 1:
            # Datadog's editor sets rule b's attributes to rule a's: one correlation key
            out.append(("queries", "every query must have the same correlatedByFields"))
        for i, q in enumerate(self.queries):
            if q.rule == self.id:
                out.append((f"queries/{i}/rule", "a rule cannot correlate its own signals"))
        return out


AnyRuleFile = RuleFile | SignalRuleFile


def rule_file_class(data: Any) -> type[RuleFile] | type[SignalRuleFile]:
    """The model of a rule file's mapping, by its `type` (absent: log_detection)."""
    return SignalRuleFile if isinstance(data, dict) and data.get("type") == "signal_correlation" else RuleFile


def rule_schema_name(data: Any) -> str:
    return "signal_rule.schema.json" if rule_file_class(data) is SignalRuleFile else "rule.schema.json"


# -- pipelines ------------------------------------------------------------------------


@dataclass(kw_only=True)
class PipelineFilter(Model):
    OPEN = True
    query: str


@dataclass(kw_only=True)
class Processor(Model):
    OPEN = True  # every processor type's own fields: checked by Datadog's official model
    type: str
    is_enabled: bool


@dataclass(kw_only=True)
class PipelineDefinition(Model):
    SCHEMA: ClassVar[dict[str, Any]] = {"description": "the exact body of POST /api/v1/logs/config/pipelines"}
    OPEN = True
    name: Annotated[str, js(minLength=1)]
    is_enabled: bool
    filter: PipelineFilter
    processors: list[Processor]
    description: str | None = None
    tags: list[str] | None = None


@dataclass(kw_only=True)
class PipelineFile(Model):
    SCHEMA: ClassVar[dict[str, Any]] = {"title": "Pipeline source file (pipelines/<name>/pipeline.yaml)"}
    id: Annotated[
        str, js(pattern="^[a-z0-9][a-z0-9-]*$", description="stable id; deployed pipelines are matched by it")
    ]
    version: Annotated[str, js(pattern=SEMVER)]
    definition: PipelineDefinition


@dataclass(kw_only=True)
class PipelineSample(Model):
    name: Annotated[str, js(minLength=1)]
    log: Annotated[
        dict[str, Any], js(description="one collector NDJSON line: the raw Zoom record plus log_type/account/record_id")
    ]
    expect: Annotated[
        dict[str, Any], js(description="attribute path -> expected value after the pipeline; null means absent")
    ]
    expect_message: str | None = None
    expect_status: str | None = None
    expect_timestamp: int | None = None


@dataclass(kw_only=True)
class PipelineTests(Model):
    SCHEMA: ClassVar[dict[str, Any]] = {"title": "Pipeline sample tests (pipelines/<name>/tests.yaml)"}
    source: Annotated[str | None, js(description=f"the `source` the shipper sets (default {SOURCE})")] = None
    samples: Annotated[list[PipelineSample], js(minItems=1)]


# -- dashboards -----------------------------------------------------------------------


@dataclass(kw_only=True)
class DashboardDefinition(Model):
    SCHEMA: ClassVar[dict[str, Any]] = {"description": "the body of POST /api/v1/dashboard"}
    OPEN = True  # widgets and the rest: checked by Datadog's official model
    title: str
    layout_type: LayoutType
    widgets: Annotated[list[dict[str, Any]], js(minItems=1)]
    tags: Annotated[list[Annotated[str, js(pattern="^team:")]] | None, js(maxItems=MAX_DASHBOARD_TAGS)] = None


@dataclass(kw_only=True)
class DashboardFile(Model):
    SCHEMA: ClassVar[dict[str, Any]] = {"title": "Dashboard source file (dashboards/<name>.json)"}
    id: Annotated[str, js(pattern=CONTENT_ID)]
    version: Annotated[str, js(pattern=SEMVER)]
    dashboard: DashboardDefinition


# -- the schema files -----------------------------------------------------------------

SCHEMA_FILES: dict[str, type[Model]] = {
    "rule.schema.json": RuleFile,
    "signal_rule.schema.json": SignalRuleFile,
    "pipeline.schema.json": PipelineFile,
    "pipeline_tests.schema.json": PipelineTests,
    "dashboard.schema.json": DashboardFile,
}
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


@cache
def _schema_text(name: str) -> str:
    cls = SCHEMA_FILES[name]
    body = _object_schema(cls)
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    head.update({k: body.pop(k) for k in ("title", "description") if k in body})
    return json.dumps({**head, **body}, indent=2, ensure_ascii=False) + "\n"


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a source file, generated from the model (a fresh copy)."""
    return json.loads(_schema_text(name))


def schema_text(name: str) -> str:
    """The schema file's exact text, as committed in contentkit/schemas/."""
    return _schema_text(name)


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """The schema files that differ from the model (missing ones too)."""
    out = []
    for name in SCHEMA_FILES:
        path = directory / name
        if not path.exists() or path.read_text("utf-8") != schema_text(name):
            out.append(name)
    return out


def write_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write the stale schema files; return their names."""
    stale = stale_schemas(directory)
    for name in stale:
        (directory / name).write_text(schema_text(name), "utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contentkit.model", description="Generate contentkit/schemas/*.json from the content model."
    )
    parser.add_argument("--write-schemas", action="store_true", help="rewrite the schema files that differ")
    parser.add_argument("--check", action="store_true", help="exit 1 if a schema file differs from the model")
    args = parser.parse_args(argv)
    if args.write_schemas:
        written = write_schemas()
        print("\n".join(f"wrote contentkit/schemas/{n}" for n in written) or "schemas are up to date")
        return 0
    if args.check:
        stale = stale_schemas()
        for name in stale:
            print(
                f"error: contentkit/schemas/{name} differs from the model: "
                "run python -m contentkit.model --write-schemas",
                file=sys.stderr,
            )
        return 1 if stale else 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
