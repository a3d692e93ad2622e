"""Datadog log pipelines, offline: compile a pipeline definition once, run many events.

    p = compile_pipeline(definition, geoip=None)   # body of POST /api/v1/logs/config/pipelines
    p.process(event) -> event                       # processed IN PLACE, and returned
    p.produced_attributes() -> {"usr.email", "network.client.geoip.country.iso_code", ...}

`definition` uses the API's snake_case keys (`name`, `is_enabled`, `filter.query`,
`processors`, ...). Events are the dicts of `contentkit.event` (Datadog's log JSON).

`process` modifies the event it is given and returns that same dict (no copy is made,
for speed: pass `copy.deepcopy(event)` to keep the original). A disabled pipeline, or
one whose filter does not match, returns the event untouched. Values put into the event
(geoip objects, remapped containers) are never shared with the pipeline or another event.

Errors at compile time: ContentError naming the pipeline, the processor's place
(`processors[1].processors[3]`), its type and name; UnsupportedProcessor (a ContentError)
for processor types the simulator does not implement (`url-parser`, `user-agent-parser`,
`arithmetic-processor`, `trace-id-remapper`, `span-id-remapper`, `array-processor`,
`decoder-processor`, `schema-processor`, `exclude-attribute`, `array-map-processor`, and
the reference-table form of `lookup-processor`), even when disabled. Keys the API does
not define for a processor (a camelCase `isEnabled` copied from an integration asset,
a typo) are errors too: Datadog would ignore or reject them, and `is_enabled` silently
left at its default disables the processor.

Sources (the rules below cite them by these short names):

[API]  Datadog OpenAPI v1, components.schemas.Logs* (field names, defaults, descriptions),
       https://docs.datadoghq.com/api/latest/logs-pipelines/
[PIPE] Pipelines, https://docs.datadoghq.com/logs/log_configuration/pipelines/
[PROC] Processors (the former single page, all processors),
       https://docs.datadoghq.com/logs/log_configuration/processors/
[REMAP] https://docs.datadoghq.com/logs/log_configuration/processors/remapper/
[DATE]  https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/
[STATUS] https://docs.datadoghq.com/logs/log_configuration/processors/log_status_remapper/
[SERVICE] https://docs.datadoghq.com/logs/log_configuration/processors/service_remapper/
[MESSAGE] https://docs.datadoghq.com/logs/log_configuration/processors/log_message_remapper/
[CAT]   https://docs.datadoghq.com/logs/log_configuration/processors/category_processor/
[SB]    https://docs.datadoghq.com/logs/log_configuration/processors/string_builder_processor/
[LOOKUP] https://docs.datadoghq.com/logs/log_configuration/processors/lookup_processor/
[GEO]   https://docs.datadoghq.com/logs/log_configuration/processors/geoip_parser/
[GROK]  https://docs.datadoghq.com/logs/log_configuration/processors/grok_parser/
[PARSE] https://docs.datadoghq.com/logs/log_configuration/parsing/

Where the documentation does not settle a behaviour, the choice is marked "CHOICE" with
the reason. Every processor's `is_enabled` defaults to false [API, PROC]: a processor
without `is_enabled: true` does nothing (it is still validated).

Pipelines [PIPE]
* A log goes through the pipeline's processors in order when it matches `filter.query`
  (Log Explorer search syntax, `contentkit.search`); a missing or empty query matches
  every log. "A pipeline can contain nested pipelines and processors whereas a nested
  pipeline can only contain processors": a pipeline inside a nested pipeline is an error.
* CHOICE: a nested pipeline's filter is tested when the log reaches it, so it sees what
  the processors before it wrote. [PIPE] says a pipeline's filter "is applied before any
  of the pipeline's processors", which settles the top level; for nested pipelines this
  is the sequential reading of "all the processors are applied sequentially".
* CHOICE: the top-level `is_enabled`, which has no documented default, is false when
  missing like every processor's.
* Status, service and message remappers: "only the first one (according to the
  pipeline's order) is taken into account" [STATUS, SERVICE, MESSAGE], and for status
  "for all pipelines that match the log, only the first status remapper encountered"
  [STATUS]. CHOICE: the first one that finds a value takes it; later ones of the same
  kind do nothing for that log. `process_in_order` carries this across several
  pipelines. The date remapper is the other way round: "the last one ... is taken into
  account" [DATE], so each one that finds a date overwrites `timestamp`.

Processor-by-processor semantics are documented on the classes below.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from contentkit.errors import ContentError, UnsupportedProcessor
from contentkit.event import delete_path, get_path, set_path
from contentkit.search import compile_query

__all__ = ["compile_pipeline", "Pipeline", "process_in_order", "GEOIP_FIELDS"]

_MISSING = object()
_COMMON = frozenset({"type", "name", "is_enabled"})
# OpenAPI v1 `type` values the simulator does not implement [API LogsProcessor oneOf].
_UNSUPPORTED = frozenset(
    {
        "url-parser",
        "user-agent-parser",
        "arithmetic-processor",
        "trace-id-remapper",
        "span-id-remapper",
        "array-processor",
        "decoder-processor",
        "schema-processor",
        "exclude-attribute",
        "array-map-processor",
    }
)
# Every path the geo-ip parser can write under its target (see contentkit.geoip).
GEOIP_FIELDS = (
    "ipAddress",
    "country",
    "country.iso_code",
    "country.name",
    "continent",
    "continent.code",
    "continent.name",
    "subdivision",
    "subdivision.iso_code",
    "subdivision.name",
    "city",
    "city.name",
    "location",
    "location.latitude",
    "location.longitude",
    "as",
    "as.number",
    "as.name",
    "as.domain",
    "as.route",
    "as.type",
)
# "The Remapper processor cannot be used to remap Datadog reserved attributes" [REMAP]:
# host, message, service, status, date, trace_id, span_id (+ `timestamp` and `tags`, where
# this event model keeps the date and the tags).
_RESERVED_TARGETS = frozenset(
    {"host", "message", "service", "status", "date", "timestamp", "trace_id", "span_id", "tags"}
)

# A step runs one processor on one log; `state` records which reserved remappers already
# applied to that log ("status", "service", "message").
Step = Callable[[dict, set], None]


# =========================================================================== helpers


class _Spec:
    """One processor's definition with validation errors that name it."""

    def __init__(self, spec: Any, where: str, pipeline: str):
        self.where = where
        self.pipeline = pipeline
        if not isinstance(spec, dict):
            raise ContentError(
                f"pipeline {pipeline!r}: {where}: a processor must be an object, not {type(spec).__name__}"
            )
        self.spec = spec
        self.type = spec.get("type")
        self.name = spec.get("name")
        if not isinstance(self.type, str) or not self.type:
            raise self.error("missing `type`")
        if self.name is not None and not isinstance(self.name, str):
            raise self.error("`name` must be a string")

    def label(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"pipeline {self.pipeline!r}: {self.where} ({self.type}{name})"

    def error(self, message: str) -> ContentError:
        return ContentError(f"{self.label()}: {message}")

    def keys(self, allowed: Iterable[str]) -> None:
        unknown = set(self.spec) - _COMMON - set(allowed)
        if unknown:
            raise self.error(
                f"unknown key(s) {', '.join(sorted(unknown))} "
                f"(the API takes: {', '.join(sorted(_COMMON | set(allowed)))})"
            )

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.spec.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f"`{key}` must be true or false, not {value!r}")
        return value

    def string(self, key: str, default: Any = _MISSING, empty_ok: bool = False) -> str:
        value = self.spec.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise self.error(f"missing `{key}`")
            return default
        if not isinstance(value, str) or (not value and not empty_ok):
            raise self.error(f"`{key}` must be a non-empty string, not {value!r}")
        return value

    def strings(self, key: str, default: Any = _MISSING) -> list[str]:
        value = self.spec.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise self.error(f"missing `{key}`")
            return list(default)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"`{key}` must be a non-empty list of non-empty strings, not {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.spec.get(key, default)
        if value is None:
            return default
        if value not in options:
            raise self.error(f"`{key}` must be one of {', '.join(options)}, not {value!r}")
        return value

    def query(self, text: Any, where: str):
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise self.error(f"{where} must be a string, not {text!r}")
        try:
            return compile_query(text)
        except ContentError as exc:
            raise _prefixed(exc, f"{self.label()}: {where}") from None


def _prefixed(exc: ContentError, prefix: str) -> ContentError:
    """The same error (class and attributes kept, e.g. a SearchSyntaxError's position) with
    the place named in front of its message."""
    new = type(exc).__new__(type(exc))
    new.__dict__.update(exc.__dict__)
    new.args = (f"{prefix}: {exc}",)
    return new


def _first(event: dict, sources: list[str]) -> Any:
    """Value of the first source present with a non-null value, else _MISSING."""
    for source in sources:
        value = get_path(event, source, _MISSING)
        if value is not _MISSING and value is not None:
            return value
    return _MISSING


def _text(value: Any) -> str | None:
    """A scalar as Datadog shows it (JSON text for numbers and booleans); None for others."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def _own(value: Any) -> Any:
    """A container copied so the event never shares it with another place."""
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


# =========================================================================== processors


class _AttributeRemapper:
    """`attribute-remapper` [REMAP, API LogsAttributeRemapper].

    * `sources` (attributes, or tag keys with `source_type: tag`), `target` (an attribute,
      or a tag key with `target_type: tag`); both types default to `attribute`.
    * CHOICE: the first source present (in list order) is remapped; the docs say only
      "remaps any source attribute(s) or tags". A tag source gives its value, or the list
      of values when the key appears several times.
    * `override_on_conflict` (default false): "Override or not the target element if
      already set" [API] - when false and the target attribute (or a tag with the target
      key) exists, nothing happens (CHOICE: the source is not removed either).
    * `preserve_source` (default false): "Remove or preserve the remapped source element"
      [API] - when false the source attribute (or every tag with the source key) goes.
    * `target_format` (`auto` default, `string`, `integer`, `double`) for attribute
      targets: "try to cast the value ... If the cast fails, the original value and type
      are preserved"; "The decimal separator for Double needs to be `.`" [REMAP].
      CHOICE for casts the docs leave open: integer accepts ints, integral doubles and
      integer strings (`"42"`, not `"4.2"` or `"1e3"`); double accepts numbers and decimal
      strings; string renders numbers/booleans as their JSON text; booleans, objects and
      arrays never cast to numbers.
    * Tag targets get `key:value` (one tag per element of an array of scalars; objects are
      skipped); tag values are stored as written (Datadog lowercases tags at intake; the
      search module compares them lowercased).
    * Rejected: targets holding `:` or `,` [REMAP], and reserved attributes as attribute
      targets ("cannot be used to remap Datadog reserved attributes" [REMAP]).
    """

    KEYS = (
        "sources",
        "source_type",
        "target",
        "target_type",
        "target_format",
        "preserve_source",
        "override_on_conflict",
    )

    def __init__(self, s: _Spec):
        s.keys(self.KEYS)
        self.sources = s.strings("sources")
        self.source_type = s.choice("source_type", ("attribute", "tag"), "attribute")
        self.target = s.string("target")
        self.target_type = s.choice("target_type", ("attribute", "tag"), "attribute")
        self.target_format = s.choice("target_format", ("auto", "string", "integer", "double"), "auto")
        self.preserve = s.boolean("preserve_source")
        self.override = s.boolean("override_on_conflict")
        if ":" in self.target or "," in self.target:
            raise s.error(f"target {self.target!r}: `:` and `,` are not allowed in a target name")
        if self.target_type == "attribute" and self.target in _RESERVED_TARGETS:
            raise s.error(
                f"target {self.target!r} is a reserved attribute: use its dedicated "
                "remapper (message, service, status, date) instead"
            )
        if self.source_type == "tag" and not all(":" not in t for t in self.sources):
            raise s.error("tag sources are tag keys, without `:`")
        self.produced = {f"tag:{self.target}"} if self.target_type == "tag" else {self.target}

    def _take(self, event: dict) -> tuple[Any, str | None]:
        if self.source_type == "attribute":
            for source in self.sources:
                value = get_path(event, source, None)
                if value is not None:
                    return value, source
            return _MISSING, None
        tags = event.get("tags") or []
        for key in self.sources:
            values = [t.partition(":")[2] for t in tags if t.partition(":")[0] == key]
            if values:
                return (values[0] if len(values) == 1 else values), key
        return _MISSING, None

    def __call__(self, event: dict, state: set) -> None:
        value, found = self._take(event)
        if value is _MISSING or found is None:
            return
        source: str = found
        if self.target_type == "attribute":
            if not self.override and get_path(event, self.target, _MISSING) is not _MISSING:
                return
            if self.preserve:
                value = _own(value)
            else:
                self._remove(event, source)
            set_path(event, self.target, _cast(value, self.target_format))
            return
        texts = [t for t in (_text(v) for v in (value if isinstance(value, list) else [value])) if t is not None]
        if not texts or len(texts) < (len(value) if isinstance(value, list) else 1):
            return  # objects / nested arrays cannot be tag values
        tags = event.get("tags")
        tags = list(tags) if isinstance(tags, list) else []
        target, prefix = self.target, self.target + ":"
        if any(t == target or t.startswith(prefix) for t in tags):
            if not self.override:
                return
            tags = [t for t in tags if not (t == target or t.startswith(prefix))]
        if not self.preserve:
            if self.source_type == "tag":
                tags = [t for t in tags if t.partition(":")[0] != source]
            else:
                delete_path(event, source)
        tags.extend(prefix + t for t in texts)
        event["tags"] = tags

    def _remove(self, event: dict, source: str) -> None:
        if self.source_type == "attribute":
            delete_path(event, source)
        else:
            event["tags"] = [t for t in event.get("tags") or [] if t.partition(":")[0] != source]


_INT_RE = re.compile(r"[+-]?\d+")
_DOUBLE_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _cast(value: Any, target_format: str) -> Any:
    if target_format == "auto":
        return value
    if target_format == "string":
        text = _text(value)
        return value if text is None else text
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value
    if target_format == "integer":
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value) if value.is_integer() else value
        text = value.strip()
        return int(text) if _INT_RE.fullmatch(text) else value
    # double
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    if _DOUBLE_RE.fullmatch(text):
        result = float(text)
        return result if math.isfinite(result) else value
    return value


# ---------------------------------------------------------------- date remapper

_RFC3164_RE = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)")
_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
_EPOCH_RE = re.compile(r"-?\d+(?:\.\d+)?")
_SECONDS_BELOW = 1e11  # |epoch| below this is seconds (1e11 s is the year 5138) ...
_MILLIS_BELOW = 1e14  # ... below this milliseconds; anything larger is not read
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def _now() -> datetime:
    """Current UTC time (a function so tests can pin the RFC 3164 year)."""
    return datetime.now(UTC)


def _epoch_millis(number: float) -> int | None:
    if not math.isfinite(number):
        return None
    if abs(number) < _SECONDS_BELOW:
        return int(round(number * 1000))
    if abs(number) < _MILLIS_BELOW:
        return int(round(number))
    return None


def parse_date(value: Any) -> int | None:
    """Milliseconds since the epoch for a value the date remapper recognises, else None.

    [DATE] "The recognized date formats are: ISO8601, UNIX (the milliseconds EPOCH
    format), and RFC3164":
    * numbers and digit strings: epoch. CHOICE: below 1e11 in absolute value they are
      seconds (a Unix time in seconds is below 1e11 until the year 5138, one in
      milliseconds is above it since 1973), below 1e14 milliseconds; larger values
      (micro/nanoseconds) are not recognised. Fractions of seconds are kept (rounded to ms).
    * ISO 8601 / RFC 3339 text: extended (`2022-12-16T18:15:38.123+01:00`) and basic
      (`20221216T181538Z`) forms, `Z` or offsets, a space instead of `T`, date only, any
      number of fraction digits (as Python's `datetime.fromisoformat`). CHOICE: without an
      offset the time is UTC.
    * RFC 3164 (`Dec 16 18:15:38`, `Dec  6 08:05:01`): no year and no zone in the format.
      CHOICE: UTC, in the current year unless that puts it more than a day in the future,
      then the previous year (what syslog receivers do).
    Anything else (booleans, objects, other text) is not a date.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _epoch_millis(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _EPOCH_RE.fullmatch(text):
        return _epoch_millis(float(text))
    m = _RFC3164_RE.fullmatch(text)
    if m:
        now = _now()
        try:
            when = datetime(now.year, _MONTHS[m[1]], int(m[2]), int(m[3]), int(m[4]), int(m[5]), tzinfo=UTC)
        except ValueError:  # Feb 29 outside a leap year, day 31 in a short month, hour 25 ...
            try:
                when = datetime(now.year - 1, _MONTHS[m[1]], int(m[2]), int(m[3]), int(m[4]), int(m[5]), tzinfo=UTC)
            except ValueError:
                return None
        else:
            if when > now + timedelta(days=1):
                try:
                    when = when.replace(year=now.year - 1)
                except ValueError:
                    return None
        return (when - _EPOCH) // _MILLISECOND
    if not text[:4].isdigit():  # fromisoformat also reads odd forms; ISO dates start with a year
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _MILLISECOND


class _DateRemapper:
    """`date-remapper` [DATE]: `timestamp` (ms since the epoch) from the first source whose
    value is a recognised date (see `parse_date`); an unparsable value moves on to the next
    source; nothing recognised leaves the timestamp alone. The source is kept. Several
    date remappers: "the last one ... is taken into account" [DATE] - each overwrites."""

    KEYS = ("sources",)

    def __init__(self, s: _Spec):
        s.keys(self.KEYS)
        self.sources = s.strings("sources")
        self.produced = {"timestamp"}

    def __call__(self, event: dict, state: set) -> None:
        for source in self.sources:
            value = get_path(event, source, _MISSING)
            if value is _MISSING:
                continue
            millis = parse_date(value)
            if millis is not None:
                event["timestamp"] = millis
                return


# ---------------------------------------------------------------- status remapper

_SYSLOG = ("emerg", "alert", "critical", "error", "warn", "notice", "info", "debug")


def map_status(value: Any) -> str:
    """Datadog's status for a remapped value [STATUS]:

    * "Integers from 0 to 7 map to the Syslog severity standards" (CHOICE: also the
      strings "0".."7"; other numbers are "all others");
    * strings, case-insensitive, by their beginning: `emerg` or `f` -> emerg (0); `a` ->
      alert (1); `c` -> critical (2); `err` -> error (3); `w` -> warning (4); `n` ->
      notice (5); `i` -> info (6); `d`, `t`, `v` (`trace`, `verbose`) -> debug (7); `o`
      or `s` (`OK`, `Success`) -> ok;
    * "All others map to info (6)".
    Stored values are the ones Datadog searches and shows: emerg, alert, critical, error,
    warn, notice, info, debug, ok (the Browser SDK's StatusType,
    https://datadoghq.dev/browser-sdk/browser-logs.statustype.html, and `status:warn`).
    The older page's "strings beginning with e ... map to error" reads `err` on the
    current one; a string like "exception" is therefore info.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return _SYSLOG[value] if 0 <= value <= 7 else "info"
    if not isinstance(value, str):
        return "info"
    text = value.strip().lower()
    if len(text) == 1 and text in "01234567":
        return _SYSLOG[int(text)]
    if text.startswith(("emerg", "f")):
        return "emerg"
    if text.startswith("a"):
        return "alert"
    if text.startswith("c"):
        return "critical"
    if text.startswith("err"):
        return "error"
    if text.startswith("w"):
        return "warn"
    if text.startswith("n"):
        return "notice"
    if text.startswith("i"):
        return "info"
    if text.startswith(("d", "t", "v")):
        return "debug"
    if text.startswith(("o", "s")):
        return "ok"
    return "info"


class _ReservedRemapper:
    """`status-remapper` [STATUS], `service-remapper` [SERVICE], `message-remapper` [MESSAGE]:
    the first source present (with a non-null value) becomes the reserved attribute; the
    source is kept. Only the first remapper of each kind that applies to a log counts
    (module docstring). `message-remapper` sources default to `["msg"]` [API].
    CHOICE: service and message take scalars as their text and objects/arrays as compact
    JSON; the status is mapped with `map_status`."""

    KEYS = ("sources",)

    def __init__(self, s: _Spec, attribute: str):
        s.keys(self.KEYS)
        self.attribute = attribute
        self.sources = s.strings("sources", ["msg"] if attribute == "message" else _MISSING)
        self.produced = {attribute}

    def __call__(self, event: dict, state: set) -> None:
        if self.attribute in state:
            return
        value = _first(event, self.sources)
        if value is _MISSING:
            return
        if self.attribute == "status":
            event["status"] = map_status(value)
        else:
            text = _text(value)
            if text is None:
                text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
            event[self.attribute] = text
        state.add(self.attribute)


# ---------------------------------------------------------------- category processor


class _CategoryProcessor:
    """`category-processor` [CAT, PROC]: the `name` of the first category whose
    `filter.query` matches is written to `target` ("Once the log has matched one of the
    processor queries, it stops"); no match writes nothing. Queries are Log Explorer
    syntax, compiled once. "The names of the categories must be unique": duplicates are
    an error. CHOICE: an existing target is overwritten."""

    KEYS = ("categories", "target")

    def __init__(self, s: _Spec):
        s.keys(self.KEYS)
        self.target = s.string("target")
        categories = s.spec.get("categories")
        if not isinstance(categories, list) or not categories:
            raise s.error("`categories` must be a non-empty list")
        self.categories = []
        seen: set[str] = set()
        for i, category in enumerate(categories):
            where = f"categories[{i}]"
            if not isinstance(category, dict) or set(category) - {"filter", "name"}:
                raise s.error(f"{where} must be an object with `filter` and `name` only")
            name = category.get("name")
            if not isinstance(name, str) or not name:
                raise s.error(f"{where}: `name` must be a non-empty string")
            if name in seen:
                raise s.error(f"{where}: category name {name!r} is used twice (names must be unique)")
            seen.add(name)
            flt = category.get("filter")
            if not isinstance(flt, dict) or set(flt) - {"query"} or not isinstance(flt.get("query"), str):
                raise s.error(f"{where}: `filter` must be an object with a `query` string")
            self.categories.append((s.query(flt["query"], f"{where}.filter.query"), name))
        self.produced = {self.target}

    def __call__(self, event: dict, state: set) -> None:
        for query, name in self.categories:
            if query.matches(event):
                set_path(event, self.target, name)
                return


# ---------------------------------------------------------------- string builder

_BLOCK_RE = re.compile(r"%\{([^{}]*)\}")
_SB_LIMIT = 256


def _collect(node: Any, parts: list[str], out: list) -> None:
    """Values at `parts` under node, going through arrays of objects (`a.b` over [{b}, {b}])."""
    if not parts:
        out.append(node)
        return
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                _collect(item, parts, out)
        return
    if isinstance(node, dict):
        head = parts[0]
        if head in node:
            _collect(node[head], parts[1:], out)


def _block_value(event: dict, path: str, parts: list[str]) -> str | None:
    """A template block's text, or None when the attribute is missing or cannot be used."""
    node = event.get(path, _MISSING)  # a literal key holding dots wins, as in event.get_path
    if node is _MISSING:
        node = event
        for i, part in enumerate(parts):
            if isinstance(node, dict):
                node = node.get(part, _MISSING)
                if node is _MISSING:
                    return None
            elif isinstance(node, list):  # through an array of objects
                found: list = []
                _collect(node, parts[i:], found)
                node = [v for item in found for v in (item if isinstance(item, list) else [item])]
                break
            else:
                return None
    if type(node) is str:
        return node
    if isinstance(node, list):
        texts = [_text(v) for v in node if v is not None]
        if not texts or None in texts:
            return None  # empty, objects, arrays of objects, nested arrays: "cannot be used"
        return ",".join(t for t in texts if t is not None)
    return _text(node)  # None for objects and null


class _StringBuilder:
    """`string-builder-processor` [SB]: `template` is raw text with `%{attribute_path}`
    blocks; the result is written to `target`, overwriting it ("If a target attribute
    already exists, it is overwritten").
    * Blocks take attributes "with values or an array of values": scalars as their JSON
      text (`200`, `true`), arrays of values joined by `,` (`%{array_ids}` -> `123,456,789`),
      and a path through an array of objects gives the values inside
      (`%{array_users.first_name}` -> `John,Jack`).
    * "If an attribute cannot be used (object or array of object), it is replaced by an
      empty string or the entire operation is skipped depending on your selection":
      `is_replace_missing` true -> '' for every missing or unusable block; false (the
      default) -> any missing block skips the processor.
    * CHOICE: a null value or an empty array counts as missing.
    * "Results of a template cannot exceed 256 characters": CHOICE, the result is cut to
      256 characters (the docs do not say whether Datadog cuts or skips).
    * A `%{` without its `}` or an empty block `%{}` is an error.
    """

    KEYS = ("template", "target", "is_replace_missing")

    def __init__(self, s: _Spec):
        s.keys(self.KEYS)
        template = s.string("template")
        self.target = s.string("target")
        self.replace_missing = s.boolean("is_replace_missing")
        pieces: list[tuple[bool, Any]] = []  # (is_block, text or (path, parts))
        pos = 0
        for m in _BLOCK_RE.finditer(template):
            path = m[1].strip()
            if not path:
                raise s.error(f"template: empty block `%{{}}` at position {m.start()}")
            if m.start() > pos:
                pieces.append((False, template[pos : m.start()]))
            pieces.append((True, (path, path.split("."))))
            pos = m.end()
        rest = template[pos:]
        if "%{" in rest:
            raise s.error(f"template: `%{{` without its closing `}}` at position {pos + rest.index('%{')}")
        if rest:
            pieces.append((False, rest))
        self.pieces = pieces
        self.static = None if any(b for b, _ in pieces) else "".join(t for _, t in pieces)
        self.produced = {self.target}

    def __call__(self, event: dict, state: set) -> None:
        if self.static is not None:
            set_path(event, self.target, self.static[:_SB_LIMIT])
            return
        out = []
        for is_block, text in self.pieces:
            if not is_block:
                out.append(text)
                continue
            value = _block_value(event, *text)
            if value is None:
                if not self.replace_missing:
                    return
                value = ""
            out.append(value)
        set_path(event, self.target, "".join(out)[:_SB_LIMIT])


# ---------------------------------------------------------------- lookup processor


class _LookupProcessor:
    """`lookup-processor` [LOOKUP, API LogsLookupProcessor]: "Looks if the current log
    contains the source attribute. Checks if the source attribute value exists in the
    mapping table. If it does, creates the target attribute with the corresponding value
    in the table"; otherwise, when `default_lookup` is set, the target gets it. No source
    attribute: nothing happens (no default).
    * `lookup_table` entries are `"source_key,target_value"` strings. CHOICE: each is read
      as one CSV record (RFC 4180, as the UI's CSV upload): a key or value holding a comma
      is double-quoted (`"a,b",c`), `""` is a quote inside quotes, and spaces are part of
      the field (not trimmed). An entry that is not exactly two fields, and a key listed
      twice, are errors.
    * Source values compare as text: numbers and booleans by their JSON text (`42` finds
      `"42,..."`); CHOICE: an object or array is "not found" (default applies).
    * CHOICE: an existing target is overwritten ("creates the target attribute").
    * The reference-table form (`lookup_enrichment_table`) raises UnsupportedProcessor.
    """

    KEYS = ("source", "target", "lookup_table", "default_lookup")

    def __init__(self, s: _Spec):
        s.keys(self.KEYS)
        self.source = s.string("source")
        self.target = s.string("target")
        self.default = s.string("default_lookup", None, empty_ok=True)
        table = s.spec.get("lookup_table")
        if not isinstance(table, list) or not all(isinstance(e, str) for e in table):
            raise s.error('`lookup_table` must be a list of "key,value" strings')
        self.table: dict[str, str] = {}
        for i, entry in enumerate(table):
            try:
                rows = list(csv.reader([entry], strict=True))
            except csv.Error as exc:
                raise s.error(f"lookup_table[{i}] {entry!r}: {exc}") from None
            fields = rows[0] if rows else []
            if len(fields) != 2:
                raise s.error(
                    f"lookup_table[{i}] {entry!r}: expected `key,value` (2 fields, "
                    f"quote a key or value holding a comma), found {len(fields)}"
                )
            key, value = fields
            if key in self.table:
                raise s.error(f"lookup_table[{i}]: key {key!r} is listed twice")
            self.table[key] = value
        self.produced = {self.target}

    def __call__(self, event: dict, state: set) -> None:
        value = get_path(event, self.source, _MISSING)
        if value is _MISSING:
            return
        text = _text(value)
        found = self.table.get(text) if text is not None else None
        if found is None:
            if self.default is None:
                return
            found = self.default
        set_path(event, self.target, found)


# ---------------------------------------------------------------- geo-ip parser


class _GeoIPParser:
    """`geo-ip-parser` [GEO]: the first source (default `network.client.ip`) whose value is
    an IP address the database knows gets its geoip object written to `target` (default
    `network.client.geoip`): country, continent, subdivision, city "(if available)", plus
    location, ipAddress and as.* (shape in `contentkit.geoip`). Unknown, private or
    malformed addresses write nothing. CHOICE: an existing target is replaced; an array
    source value uses its first string."""

    KEYS = ("sources", "target")

    def __init__(self, s: _Spec, geoip):
        s.keys(self.KEYS)
        self.sources = s.strings("sources", ["network.client.ip"])
        self.target = s.string("target", "network.client.geoip")
        self.geoip = geoip
        self.produced = {self.target} | {f"{self.target}.{f}" for f in GEOIP_FIELDS}

    def __call__(self, event: dict, state: set) -> None:
        for source in self.sources:
            value = get_path(event, source, None)
            if isinstance(value, list):
                value = next((v for v in value if isinstance(v, str)), None)
            if not isinstance(value, str):
                continue
            found = self.geoip().lookup(value)
            if found is not None:
                set_path(event, self.target, found)
                return


# ---------------------------------------------------------------- grok parser


class _GrokParser:
    """`grok-parser` [GROK, PARSE]: `source` (default `message`) is parsed with
    `grok.match_rules` / `grok.support_rules` (contentkit.grok: first matching rule wins);
    each extracted dotted path is written from the root of the log. CHOICE: extracted
    values overwrite attributes of the same path (the parser's output is merged into the
    log, as the [GROK] before/after example shows for `date`); a source that is missing or
    not a string ("values must be sent into the grok parser as strings" [PARSE]) or that no
    rule matches leaves the log alone. `samples`: at most 5, each at most 5000 characters
    [API, GROK]; they are not required to match."""

    KEYS = ("source", "samples", "grok")

    def __init__(self, s: _Spec):
        from contentkit.grok import compile_grok

        s.keys(self.KEYS)
        self.source = s.string("source", "message")
        samples = s.spec.get("samples", [])
        if samples is None:
            samples = []
        if not isinstance(samples, list) or not all(isinstance(x, str) for x in samples):
            raise s.error("`samples` must be a list of strings")
        if len(samples) > 5:
            raise s.error(f"{len(samples)} samples: at most 5")
        for i, sample in enumerate(samples):
            if len(sample) > 5000:
                raise s.error(f"samples[{i}]: {len(sample)} characters, at most 5000")
        grok = s.spec.get("grok")
        if not isinstance(grok, dict) or set(grok) - {"match_rules", "support_rules"}:
            raise s.error("`grok` must be an object with `match_rules` (and `support_rules`)")
        match_rules = grok.get("match_rules")
        support_rules = grok.get("support_rules") or ""
        if not isinstance(match_rules, str) or not match_rules.strip():
            raise s.error("`grok.match_rules` must be a non-empty string")
        if not isinstance(support_rules, str):
            raise s.error("`grok.support_rules` must be a string")
        try:
            self.parser = compile_grok(match_rules, support_rules)
        except ContentError as exc:  # UnsupportedProcessor stays UnsupportedProcessor
            raise _prefixed(exc, s.label()) from None
        self.produced = set(self.parser.extracts())

    def __call__(self, event: dict, state: set) -> None:
        value = get_path(event, self.source, None)
        if not isinstance(value, str):
            return
        extracted = self.parser.parse(value)
        if not extracted:
            return
        for path, item in extracted.items():
            if item is not None:
                set_path(event, path, item)


# ---------------------------------------------------------------- nested pipeline


class _NestedPipeline:
    """`pipeline` inside a pipeline [PIPE, API LogsPipelineProcessor]: `filter.query`,
    `processors`, `is_enabled` (default false); it may not hold another pipeline."""

    KEYS = ("filter", "processors", "description", "tags")

    def __init__(self, s: _Spec, geoip, pipeline: str):
        s.keys(self.KEYS)
        self.query = _filter_query(s.spec.get("filter"), s.error, s.query)
        steps, produced = _compile_steps(
            s.spec.get("processors", []), s.where, pipeline, geoip, nested=True, error=s.error
        )
        self.steps = steps
        self.produced = produced

    def __call__(self, event: dict, state: set) -> None:
        if self.query is not None and not self.query.matches(event):
            return
        for step in self.steps:
            step(event, state)


# =========================================================================== compiling


def _filter_query(flt: Any, error: Callable[[str], ContentError], query: Callable):
    """Compiled filter, or None for 'every log' (missing filter or empty query)."""
    if flt is None:
        return None
    if not isinstance(flt, dict) or set(flt) - {"query"}:
        raise error("`filter` must be an object with a `query` string")
    text = flt.get("query")
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    return query(text, "filter.query")


def _compile_steps(
    processors: Any, where: str, pipeline: str, geoip, nested: bool, error: Callable[[str], ContentError]
) -> tuple[list[Step], set[str]]:
    if processors is None:
        processors = []
    if not isinstance(processors, list):
        raise error("`processors` must be a list")
    steps: list[Step] = []
    produced: set[str] = set()
    for i, raw in enumerate(processors):
        s = _Spec(raw, f"{where}.processors[{i}]" if where else f"processors[{i}]", pipeline)
        kind = s.type
        enabled = s.boolean("is_enabled")
        if kind in _UNSUPPORTED:
            raise UnsupportedProcessor(f"{s.label()}: processor type {kind!r} is not supported by the simulator")
        if kind == "lookup-processor" and "lookup_enrichment_table" in s.spec:
            raise UnsupportedProcessor(
                f"{s.label()}: lookup-processor with a Reference Table "
                "(`lookup_enrichment_table`) is not supported by the simulator"
            )
        step: Step
        if kind == "attribute-remapper":
            step = _AttributeRemapper(s)
        elif kind == "date-remapper":
            step = _DateRemapper(s)
        elif kind == "status-remapper":
            step = _ReservedRemapper(s, "status")
        elif kind == "service-remapper":
            step = _ReservedRemapper(s, "service")
        elif kind == "message-remapper":
            step = _ReservedRemapper(s, "message")
        elif kind == "category-processor":
            step = _CategoryProcessor(s)
        elif kind == "string-builder-processor":
            step = _StringBuilder(s)
        elif kind == "lookup-processor":
            step = _LookupProcessor(s)
        elif kind == "geo-ip-parser":
            step = _GeoIPParser(s, geoip)
        elif kind == "grok-parser":
            step = _GrokParser(s)
        elif kind == "pipeline":
            if nested:
                raise s.error("a nested pipeline can only contain processors, not another pipeline")
            step = _NestedPipeline(s, geoip, pipeline)
        else:
            raise s.error(f"unknown processor type {kind!r}")
        if enabled:
            steps.append(step)
            produced |= step.produced
    return steps, produced


class Pipeline:
    """A compiled Datadog log pipeline (see the module docstring)."""

    _KEYS = frozenset(
        {"name", "is_enabled", "filter", "processors", "description", "tags", "id", "type", "is_read_only"}
    )

    def __init__(self, definition: dict, geoip=None):
        if not isinstance(definition, dict):
            raise ContentError(f"a pipeline definition must be an object, not {type(definition).__name__}")
        name = definition.get("name")
        if not isinstance(name, str) or not name:
            raise ContentError("pipeline: `name` is required (a non-empty string)")
        self.name = name

        def error(message: str) -> ContentError:
            return ContentError(f"pipeline {name!r}: {message}")

        def query(text: Any, where: str):
            if not isinstance(text, str):
                raise error(f"{where} must be a string, not {text!r}")
            try:
                return compile_query(text)
            except ContentError as exc:
                raise _prefixed(exc, f"pipeline {name!r}: {where}") from None

        unknown = set(definition) - self._KEYS
        if unknown:
            raise error(f"unknown key(s) {', '.join(sorted(unknown))}")
        enabled = definition.get("is_enabled", False)
        if not isinstance(enabled, bool):
            raise error(f"`is_enabled` must be true or false, not {enabled!r}")
        self.enabled = enabled
        self._query = _filter_query(definition.get("filter"), error, query)
        self._geoip = geoip
        self._steps, self._produced = _compile_steps(
            definition.get("processors", []), "", name, self._geo, nested=False, error=error
        )

    def _geo(self):
        """The GeoIP the pipeline uses: the one given, else the bundled table (loaded once)."""
        if self._geoip is None:
            from contentkit.geoip import GeoIP

            self._geoip = GeoIP.bundled()
        return self._geoip

    def matches(self, event: dict) -> bool:
        """True when the pipeline is enabled and its filter matches the event."""
        return self.enabled and (self._query is None or self._query.matches(event))

    def process(self, event: dict, state: set | None = None) -> dict:
        """Run the event through the pipeline, in place; return it (see the module docstring).

        `state` (optional) carries which reserved remappers already applied to this log
        across several pipelines; `process_in_order` manages it.
        """
        if not self.enabled or (self._query is not None and not self._query.matches(event)):
            return event
        if state is None:
            state = set()
        for step in self._steps:
            step(event, state)
        return event

    def produced_attributes(self) -> set[str]:
        """Every attribute path an enabled processor of this (enabled) pipeline can write:
        remapper/builder/lookup/category targets, `timestamp`/`status`/`service`/`message`
        for the reserved remappers, grok extracts, the geoip target and its subfields;
        tag targets as `tag:<key>` (the form `Query.attributes()` uses)."""
        return set(self._produced) if self.enabled else set()

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, enabled={self.enabled}, steps={len(self._steps)})"


def compile_pipeline(definition: dict, geoip=None) -> Pipeline:
    """Compile the body of POST /api/v1/logs/config/pipelines.

    `geoip`: a `contentkit.geoip.GeoIP` for geo-ip parsers; None uses `GeoIP.bundled()`
    (documentation ranges only), loaded on first use.
    """
    return Pipeline(definition, geoip)


def process_in_order(pipelines: Iterable[Pipeline], event: dict) -> dict:
    """Run a log through several pipelines in order (Datadog's pipeline order), sharing the
    "first status/service/message remapper wins" record between them [STATUS]."""
    state: set = set()
    for pipeline in pipelines:
        pipeline.process(event, state)
    return event
