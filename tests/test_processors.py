"""contentkit.processors: Datadog's log pipeline processors, one documented behaviour at a time.

Doc pages cited by short name (full list in contentkit/processors.py):
[PIPE]    https://docs.datadoghq.com/logs/log_configuration/pipelines/
[REMAP]   https://docs.datadoghq.com/logs/log_configuration/processors/remapper/
[DATE]    https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/
[STATUS]  https://docs.datadoghq.com/logs/log_configuration/processors/log_status_remapper/
[SERVICE] https://docs.datadoghq.com/logs/log_configuration/processors/service_remapper/
[MESSAGE] https://docs.datadoghq.com/logs/log_configuration/processors/log_message_remapper/
[CAT]     https://docs.datadoghq.com/logs/log_configuration/processors/category_processor/
[SB]      https://docs.datadoghq.com/logs/log_configuration/processors/string_builder_processor/
[LOOKUP]  https://docs.datadoghq.com/logs/log_configuration/processors/lookup_processor/
[GEO]     https://docs.datadoghq.com/logs/log_configuration/processors/geoip_parser/
[GROK]    https://docs.datadoghq.com/logs/log_configuration/processors/grok_parser/
[API]     Datadog OpenAPI v1 LogsPipeline / Logs*Processor schemas
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

import contentkit.processors as processors_module
from contentkit.errors import ContentError, SearchSyntaxError, UnsupportedProcessor
from contentkit.event import from_ndjson_line, get_path, has_path
from contentkit.geoip import GeoIP
from contentkit.load import load_pipelines
from contentkit.processors import compile_pipeline, map_status, parse_date, process_in_order


def pipeline(*procs, query=None, enabled=True, name="test", geoip=None):
    definition = {"name": name, "is_enabled": enabled, "processors": list(procs)}
    if query is not None:
        definition["filter"] = {"query": query}
    return compile_pipeline(definition, geoip=geoip)


def proc(type_, **fields):
    return {"type": type_, "name": f"a {type_}", "is_enabled": True, **fields}


def run(procs, event, **kw):
    procs = procs if isinstance(procs, list) else [procs]
    return pipeline(*procs, **kw).process(copy.deepcopy(event))


def log(**attrs):
    return from_ndjson_line(attrs, source="test")


# =========================================================================== pipelines


def test_process_works_in_place_and_returns_the_event():
    event = log(a=1)
    out = pipeline(proc("string-builder-processor", template="x", target="b")).process(event)
    assert out is event and event["b"] == "x"


def test_disabled_pipeline_returns_the_event_unchanged():
    event = log(a="v")
    before = copy.deepcopy(event)
    assert pipeline(proc("attribute-remapper", sources=["a"], target="b"), enabled=False).process(event) == before


def test_pipeline_without_is_enabled_is_disabled():
    p = compile_pipeline({"name": "x", "processors": [proc("string-builder-processor", template="t", target="b")]})
    assert "b" not in p.process(log()) and p.produced_attributes() == set()


def test_pipeline_filter_decides_which_logs_are_processed():
    """[PIPE] 'Each log ... is tested against every pipeline filter. If it matches ... all the processors are applied'."""
    p = pipeline(proc("string-builder-processor", template="hit", target="r"), query="@kind:a")
    assert p.process(log(kind="a"))["r"] == "hit"
    other = log(kind="b")
    assert p.process(copy.deepcopy(other)) == other
    assert p.matches(log(kind="a")) and not p.matches(other)


@pytest.mark.parametrize("flt", [None, {}, {"query": ""}, {"query": "  "}, {"query": "*"}])
def test_missing_or_empty_filter_matches_every_log(flt):
    definition = {
        "name": "x",
        "is_enabled": True,
        "processors": [proc("string-builder-processor", template="t", target="r")],
    }
    if flt is not None:
        definition["filter"] = flt
    assert compile_pipeline(definition).process(log())["r"] == "t"


def test_pipeline_filter_is_tested_before_its_processors():
    """[PIPE] 'you cannot filter on an attribute that is extracted in the pipeline itself'."""
    p = pipeline(proc("string-builder-processor", template="made", target="kind"), query="@kind:made")
    assert "kind" not in p.process(log())


def test_nested_pipelines_filter_separately():
    p = pipeline(
        {
            "type": "pipeline",
            "name": "A",
            "is_enabled": True,
            "filter": {"query": "@t:a"},
            "processors": [proc("string-builder-processor", template="in a", target="r")],
        },
        {
            "type": "pipeline",
            "name": "B",
            "is_enabled": True,
            "filter": {"query": "@t:b"},
            "processors": [proc("string-builder-processor", template="in b", target="r")],
        },
        query="source:test",
    )
    assert p.process(log(t="a"))["r"] == "in a"
    assert p.process(log(t="b"))["r"] == "in b"
    assert "r" not in p.process(log(t="c"))
    assert "r" not in p.process(from_ndjson_line({"t": "a"}, source="other"))


def test_nested_pipeline_filter_sees_what_earlier_processors_wrote():
    """CHOICE (module docstring): a nested filter is tested when the log reaches it."""
    p = pipeline(
        proc("string-builder-processor", template="yes", target="flag"),
        {
            "type": "pipeline",
            "is_enabled": True,
            "filter": {"query": "@flag:yes"},
            "processors": [proc("string-builder-processor", template="seen", target="r")],
        },
    )
    assert p.process(log())["r"] == "seen"


def test_disabled_nested_pipeline_does_nothing():
    p = pipeline(
        {"type": "pipeline", "name": "off", "processors": [proc("string-builder-processor", template="t", target="r")]}
    )
    assert "r" not in p.process(log()) and p.produced_attributes() == set()


def test_nested_pipeline_cannot_hold_a_pipeline():
    """[PIPE] 'a nested pipeline can only contain processors'."""
    inner = {"type": "pipeline", "name": "inner", "is_enabled": True, "processors": []}
    with pytest.raises(
        ContentError, match=r"processors\[0\]\.processors\[0\] \(pipeline 'inner'\).*only contain processors"
    ):
        pipeline({"type": "pipeline", "name": "outer", "is_enabled": True, "processors": [inner]})


ALL_ENABLED_OFF = [
    {"type": "attribute-remapper", "sources": ["a"], "target": "b"},
    {"type": "date-remapper", "sources": ["when"]},
    {"type": "status-remapper", "sources": ["level"]},
    {"type": "service-remapper", "sources": ["app"]},
    {"type": "message-remapper", "sources": ["msg"]},
    {"type": "category-processor", "target": "cat", "categories": [{"filter": {"query": "*"}, "name": "all"}]},
    {"type": "string-builder-processor", "template": "x", "target": "sb"},
    {"type": "lookup-processor", "source": "a", "target": "lk", "lookup_table": ["v,w"], "default_lookup": "d"},
    {"type": "geo-ip-parser", "sources": ["ip"], "target": "geo"},
    {"type": "grok-parser", "source": "msg", "grok": {"match_rules": "r %{word:w}"}},
]


@pytest.mark.parametrize("spec", ALL_ENABLED_OFF, ids=[s["type"] for s in ALL_ENABLED_OFF])
@pytest.mark.parametrize("enabled", ["missing", False])
def test_processors_are_disabled_unless_is_enabled_is_true(spec, enabled):
    """[API] every processor's `is_enabled` has `default: false`."""
    spec = dict(spec)
    if enabled is False:
        spec["is_enabled"] = False
    event = log(a="v", when="2022-12-16T18:15:38Z", level="error", app="web", msg="hello", ip="192.0.2.1")
    before = copy.deepcopy(event)
    p = pipeline(spec)
    assert p.process(event) == before
    assert p.produced_attributes() == set()


@pytest.mark.parametrize(
    "kind",
    [
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
    ],
)
@pytest.mark.parametrize("enabled", [True, False])
def test_unsupported_processor_types_are_refused_by_type(kind, enabled):
    spec = {"type": kind, "name": "later", "is_enabled": enabled}
    with pytest.raises(UnsupportedProcessor, match=rf"processors\[1\] \({kind} 'later'\).*{kind}.*not supported"):
        pipeline(proc("string-builder-processor", template="x", target="y"), spec)


def test_reference_table_lookup_is_unsupported():
    spec = {
        "type": "lookup-processor",
        "is_enabled": True,
        "source": "a",
        "target": "b",
        "lookup_enrichment_table": "users",
    }
    with pytest.raises(UnsupportedProcessor, match="Reference Table"):
        pipeline(spec)


def test_unknown_processor_type_is_a_content_error_naming_place_and_name():
    with pytest.raises(
        ContentError,
        match=r"pipeline 'test': processors\[0\]\.processors\[1\] \(magic 'wand'\): unknown processor type",
    ) as err:
        pipeline(
            {
                "type": "pipeline",
                "is_enabled": True,
                "processors": [
                    proc("string-builder-processor", template="x", target="y"),
                    {"type": "magic", "name": "wand", "is_enabled": True},
                ],
            }
        )
    assert not isinstance(err.value, UnsupportedProcessor)


@pytest.mark.parametrize(
    "spec,message",
    [
        ({"type": "attribute-remapper", "isEnabled": True, "sources": ["a"], "target": "b"}, "unknown key.*isEnabled"),
        ({"type": "attribute-remapper", "is_enabled": "yes", "sources": ["a"], "target": "b"}, "is_enabled"),
        ({"type": "attribute-remapper", "is_enabled": True, "sources": "a", "target": "b"}, "sources"),
        ({"type": "attribute-remapper", "is_enabled": True, "sources": [], "target": "b"}, "sources"),
        ({"type": "attribute-remapper", "is_enabled": True, "sources": ["a"]}, "missing `target`"),
        (
            {
                "type": "attribute-remapper",
                "is_enabled": True,
                "sources": ["a"],
                "target": "b",
                "target_format": "float",
            },
            "target_format",
        ),
        (
            {"type": "attribute-remapper", "is_enabled": True, "sources": ["a"], "target": "b", "source_type": "tags"},
            "source_type",
        ),
        ({"type": "date-remapper", "is_enabled": True}, "missing `sources`"),
        ({"is_enabled": True}, "missing `type`"),
        ("not an object", "must be an object"),
    ],
)
def test_bad_processor_definitions_are_content_errors(spec, message):
    with pytest.raises(ContentError, match=message):
        pipeline(spec)


def test_bad_pipeline_definitions():
    with pytest.raises(ContentError, match="name"):
        compile_pipeline({"is_enabled": True, "processors": []})
    with pytest.raises(ContentError, match="unknown key"):
        compile_pipeline({"name": "x", "is_enabled": True, "proccessors": []})
    with pytest.raises(SearchSyntaxError, match=r"pipeline 'x': filter\.query: .*position 0") as err:
        compile_pipeline({"name": "x", "is_enabled": True, "filter": {"query": "(unbalanced"}})
    assert err.value.position == 0
    with pytest.raises(ContentError, match="processors"):
        compile_pipeline({"name": "x", "is_enabled": True, "processors": {}})


def test_filter_queries_are_compiled_once(monkeypatch):
    calls = []
    real = processors_module.compile_query

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(processors_module, "compile_query", counting)
    p = pipeline(
        proc(
            "category-processor",
            target="c",
            categories=[{"filter": {"query": "@a:1"}, "name": "one"}, {"filter": {"query": "*"}, "name": "any"}],
        ),
        query="source:test",
    )
    for _ in range(5):
        p.process(log(a=1))
    assert sorted(calls) == ["*", "@a:1", "source:test"]


# =========================================================================== attribute remapper


def test_remapper_doc_example_keeps_the_source_when_asked():
    """[REMAP] 'remap the user.firstname attribute to a new user_name attribute, and choose to keep the source'."""
    event = {"user": {"firstname": "John", "lastname": "Doe"}, "timestamp": 1696945536000}
    out = run(proc("attribute-remapper", sources=["user.firstname"], target="user_name", preserve_source=True), event)
    assert out == {"user": {"firstname": "John", "lastname": "Doe"}, "user_name": "John", "timestamp": 1696945536000}


def test_remapper_removes_the_source_by_default():
    """[API] preserve_source default false: 'Remove or preserve the remapped source element'."""
    out = run(proc("attribute-remapper", sources=["raw.ip"], target="network.client.ip"), {"raw": {"ip": "192.0.2.1"}})
    assert out == {"network": {"client": {"ip": "192.0.2.1"}}}


def test_remapper_does_not_override_an_existing_target_by_default():
    """[API] override_on_conflict default false: 'Whether to override the target element if it's already set'."""
    out = run(proc("attribute-remapper", sources=["a"], target="b"), {"a": "new", "b": "old"})
    assert out == {"a": "new", "b": "old"}  # CHOICE: nothing happens, the source stays


def test_remapper_overrides_when_asked():
    out = run(
        proc("attribute-remapper", sources=["a"], target="b", override_on_conflict=True), {"a": "new", "b": "old"}
    )
    assert out == {"b": "new"}


def test_remapper_takes_the_first_source_present():
    spec = proc("attribute-remapper", sources=["x", "y", "z"], target="t", preserve_source=True)
    assert run(spec, {"y": 2, "z": 3})["t"] == 2
    assert "t" not in run(spec, {"w": 1})


def test_remapper_from_tag_to_attribute_and_to_tag():
    event = {"tags": ["source:test", "env:prod", "team:core"]}
    out = run(proc("attribute-remapper", sources=["env"], source_type="tag", target="deploy.env"), event)
    assert out == {"tags": ["source:test", "team:core"], "deploy": {"env": "prod"}}
    out = run(
        proc(
            "attribute-remapper",
            sources=["env"],
            source_type="tag",
            target="stage",
            target_type="tag",
            preserve_source=True,
        ),
        event,
    )
    assert out["tags"] == ["source:test", "env:prod", "team:core", "stage:prod"]


def test_remapper_attribute_to_tag_respects_conflicts():
    event = {"region": "eu", "tags": ["region:us"]}
    spec = proc("attribute-remapper", sources=["region"], target="region", target_type="tag", preserve_source=True)
    assert run(spec, event)["tags"] == ["region:us"]
    spec["override_on_conflict"] = True
    assert run(spec, event)["tags"] == ["region:eu"]
    out = run(proc("attribute-remapper", sources=["ids"], target="id", target_type="tag"), {"ids": [1, 2]})
    assert out == {"tags": ["id:1", "id:2"]}


@pytest.mark.parametrize(
    "fmt,value,expected",
    [
        ("auto", "42", "42"),
        ("integer", "42", 42),
        ("integer", " -7 ", -7),
        ("integer", 42.0, 42),
        ("integer", 4.5, 4.5),
        ("integer", "4.5", "4.5"),
        ("integer", "abc", "abc"),
        ("integer", True, True),
        ("double", "3.14", 3.14),
        ("double", 3, 3.0),
        ("double", "3,14", "3,14"),
        ("double", "nan", "nan"),
        ("string", 200, "200"),
        ("string", True, "true"),
        ("string", 1.5, "1.5"),
        ("string", {"a": 1}, {"a": 1}),
    ],
)
def test_remapper_target_format_casts_or_keeps_the_original(fmt, value, expected):
    """[REMAP] 'If the cast fails, the original value and type are preserved'; 'The decimal separator for Double needs to be .'."""
    out = run(proc("attribute-remapper", sources=["a"], target="b", target_format=fmt), {"a": value})
    assert out["b"] == expected and type(out["b"]) is type(expected)


@pytest.mark.parametrize("target", ["message", "service", "status", "host", "date", "timestamp", "trace_id"])
def test_remapper_cannot_target_reserved_attributes(target):
    """[REMAP] 'The Remapper processor cannot be used to remap Datadog reserved attributes'."""
    with pytest.raises(ContentError, match="reserved attribute"):
        pipeline(proc("attribute-remapper", sources=["a"], target=target))


@pytest.mark.parametrize("target", ["a:b", "a,b"])
def test_remapper_target_cannot_hold_colon_or_comma(target):
    with pytest.raises(ContentError, match="not allowed"):
        pipeline(proc("attribute-remapper", sources=["a"], target=target))


def test_preserved_containers_are_not_shared():
    out = run(proc("attribute-remapper", sources=["a"], target="b", preserve_source=True), {"a": {"k": [1]}})
    out["b"]["k"].append(2)
    assert out["a"] == {"k": [1]}


# =========================================================================== date remapper


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2022-12-16T18:15:38Z", 1671214538000),
        ("2022-12-16T18:15:38.123Z", 1671214538123),
        ("2022-12-16T18:15:38.123456789Z", 1671214538123),
        ("2022-12-16T19:15:38+01:00", 1671214538000),
        ("2022-12-16T13:15:38-0500", 1671214538000),
        ("2022-12-16 18:15:38", 1671214538000),  # no offset: UTC (CHOICE)
        ("20221216T181538Z", 1671214538000),  # ISO 8601 basic format [DATE note]
        ("2022-12-16", 1671148800000),
        (1671214538, 1671214538000),  # epoch seconds
        (1671214538.5, 1671214538500),
        (1671214538000, 1671214538000),  # epoch milliseconds [DATE]
        ("1671214538000", 1671214538000),
        ("1671214538", 1671214538000),
    ],
)
def test_date_formats(value, expected):
    assert parse_date(value) == expected
    assert run(proc("date-remapper", sources=["when"]), {"when": value})["timestamp"] == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "16/12/2022",
        "2022-13-01T00:00:00Z",
        "",
        True,
        None,
        {"t": 1},
        [1671214538],
        1671214538000000000,
        "Dec 32 10:00:00",
    ],
)
def test_unrecognised_dates(value):
    assert parse_date(value) is None


def test_rfc3164_dates_take_the_current_year_unless_that_is_the_future(monkeypatch):
    """[DATE] RFC3164 is recognised; its format has no year (CHOICE: syslog receivers' rule)."""
    monkeypatch.setattr(processors_module, "_now", lambda: datetime(2023, 3, 1, 12, 0, tzinfo=UTC))
    assert parse_date("Feb 28 10:00:00") == int(datetime(2023, 2, 28, 10, tzinfo=UTC).timestamp() * 1000)
    assert parse_date("Mar  2 08:05:01") == int(datetime(2023, 3, 2, 8, 5, 1, tzinfo=UTC).timestamp() * 1000)
    assert parse_date("Dec 31 23:59:59") == int(datetime(2022, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp() * 1000)


def test_date_remapper_moves_on_from_an_unparsable_source():
    spec = proc("date-remapper", sources=["a", "b", "c"])
    out = run(spec, {"a": "garbage", "c": "2022-12-16T18:15:38Z", "timestamp": 1})
    assert out["timestamp"] == 1671214538000 and out["a"] == "garbage" and out["c"] == "2022-12-16T18:15:38Z"
    assert run(spec, {"a": "garbage", "timestamp": 5})["timestamp"] == 5


def test_the_last_date_remapper_wins():
    """[DATE] 'If multiple log date remapper processors are applied ... the last one ... is taken into account'."""
    out = run(
        [proc("date-remapper", sources=["a"]), proc("date-remapper", sources=["b"])],
        {"a": "2022-12-16T18:15:38Z", "b": 1000000000},
    )
    assert out["timestamp"] == 1000000000000


# =========================================================================== status remapper


@pytest.mark.parametrize(
    "value,status",
    [
        (0, "emerg"),
        (1, "alert"),
        (2, "critical"),
        (3, "error"),
        (4, "warn"),
        (5, "notice"),
        (6, "info"),
        (7, "debug"),
        (8, "info"),
        (-1, "info"),
        ("3", "error"),
        ("emergency", "emerg"),
        ("EMERG", "emerg"),
        ("fatal", "emerg"),
        ("F", "emerg"),
        ("alert", "alert"),
        ("Critical", "critical"),
        ("crit", "critical"),
        ("error", "error"),
        ("ERR", "error"),
        ("exception", "info"),
        ("warning", "warn"),
        ("WARN", "warn"),
        ("notice", "notice"),
        ("info", "info"),
        ("informational", "info"),
        ("debug", "debug"),
        ("trace", "debug"),
        ("TRACE", "debug"),
        ("verbose", "debug"),
        ("t", "debug"),
        ("OK", "ok"),
        ("success", "ok"),
        ("Success", "ok"),
        ("o", "ok"),
        ("s", "ok"),
        ("unknown", "info"),
        ("", "info"),
        (True, "info"),
        (3.0, "info"),
        ({"a": 1}, "info"),
    ],
)
def test_status_mapping_table(value, status):
    """[STATUS] 'Each incoming status value is mapped as follows' (table in contentkit.processors.map_status)."""
    assert map_status(value) == status
    assert run(proc("status-remapper", sources=["level"]), log(level=value))["status"] == status


def test_only_the_first_status_remapper_that_applies_counts():
    """[STATUS] 'only the first one in the pipeline's order is considered'."""
    p = pipeline(
        proc("status-remapper", sources=["missing"]),
        proc("status-remapper", sources=["a"]),
        {"type": "pipeline", "is_enabled": True, "processors": [proc("status-remapper", sources=["b"])]},
    )
    assert p.process(log(a="error", b="debug"))["status"] == "error"
    assert p.process(log(b="debug"))["status"] == "debug"


def test_first_status_remapper_across_pipelines():
    """[STATUS] 'for all pipelines that match the log, only the first status remapper encountered ... is applied'."""
    first = pipeline(proc("status-remapper", sources=["a"]), name="first")
    second = pipeline(proc("status-remapper", sources=["b"]), name="second")
    assert process_in_order([first, second], log(a="warning", b="error"))["status"] == "warn"
    assert process_in_order([first, second], log(b="error"))["status"] == "error"


# =========================================================================== service / message remappers


def test_service_remapper_uses_the_first_source_present_and_keeps_it():
    out = run(proc("service-remapper", sources=["app", "svc"]), log(svc="billing"))
    assert out["service"] == "billing" and out["svc"] == "billing"


def test_only_the_first_service_remapper_counts():
    """[SERVICE] 'only the first one (according to the pipeline's order) is taken into account'."""
    out = run([proc("service-remapper", sources=["a"]), proc("service-remapper", sources=["b"])], log(a="one", b="two"))
    assert out["service"] == "one"


def test_message_remapper_falls_back_through_its_sources():
    """[MESSAGE] 'if attribute1 does not exist, then attribute2 is used'."""
    spec = proc("message-remapper", sources=["attribute1", "attribute2", "attribute3"])
    assert run(spec, log(attribute2="two", attribute3="three"))["message"] == "two"
    assert run(spec, log(attribute3="three"))["message"] == "three"
    assert run(spec, log())["message"] == ""


def test_message_remapper_defaults_to_msg_and_first_one_counts():
    """[API] message-remapper sources default ["msg"]; [MESSAGE] only the first one counts."""
    spec = {"type": "message-remapper", "is_enabled": True}
    assert run(spec, log(msg="hello"))["message"] == "hello"
    out = run([proc("message-remapper", sources=["a"]), proc("message-remapper", sources=["b"])], log(a="x", b="y"))
    assert out["message"] == "x"
    assert run(proc("message-remapper", sources=["n"]), log(n=404))["message"] == "404"


# =========================================================================== category processor

CATEGORIES = [
    {"filter": {"query": "@http.status_code:[200 TO 299]"}, "name": "OK"},
    {"filter": {"query": "@http.status_code:[300 TO 399]"}, "name": "notice"},
    {"filter": {"query": "@http.status_code:[200 TO 599]"}, "name": "error"},
]


@pytest.mark.parametrize("code,category", [(200, "OK"), (301, "notice"), (404, "error"), (600, None)])
def test_category_processor_first_matching_category_wins(code, category):
    """[CAT] 'Once the log has matched one of the processor queries, it stops'."""
    out = run(
        proc("category-processor", target="http.status_category", categories=CATEGORIES),
        {"http": {"status_code": code}},
    )
    assert get_path(out, "http.status_category") == category


def test_category_names_must_be_unique_and_queries_valid():
    """[CAT] 'The names of the categories must be unique'."""
    dup = [{"filter": {"query": "*"}, "name": "x"}, {"filter": {"query": "@a:1"}, "name": "x"}]
    with pytest.raises(ContentError, match=r"categories\[1\].*used twice"):
        pipeline(proc("category-processor", target="c", categories=dup))
    with pytest.raises(ContentError, match=r"categories\[0\]\.filter\.query"):
        pipeline(proc("category-processor", target="c", categories=[{"filter": {"query": "@a:("}, "name": "x"}]))


def test_category_then_status_remapper():
    """[CAT] 'you can map categories to log status using the log status remapper'."""
    out = run(
        [proc("category-processor", target="sev", categories=CATEGORIES), proc("status-remapper", sources=["sev"])],
        log(http={"status_code": 503}),
    )
    assert out["status"] == "error"


# =========================================================================== string builder

SB_DOC_LOG = {
    "http": {"method": "GET", "status_code": 200, "url": "https://app.datadoghq.com/users"},
    "array_ids": [123, 456, 789],
    "array_users": [{"first_name": "John", "last_name": "Doe"}, {"first_name": "Jack", "last_name": "London"}],
}


@pytest.mark.parametrize(
    "template,expected",
    [
        (
            "Request %{http.method} %{http.url} was answered with response %{http.status_code}",
            "Request GET https://app.datadoghq.com/users was answered with response 200",
        ),
        ("%{array_ids}", "123,456,789"),
        ("%{array_users.first_name}", "John,Jack"),
        ("plain text", "plain text"),
    ],
)
def test_string_builder_doc_examples(template, expected):
    """[SB] examples, word for word."""
    out = run(proc("string-builder-processor", template=template, target="result"), SB_DOC_LOG)
    assert out["result"] == expected


@pytest.mark.parametrize("template", ["%{http}", "%{array_users}", "x %{nope} y"])
def test_string_builder_skips_when_an_attribute_is_missing_or_unusable(template):
    """[SB] 'If an attribute cannot be used (object or array of object), ... the entire operation is skipped'."""
    out = run(
        proc("string-builder-processor", template=template, target="result", is_replace_missing=False), SB_DOC_LOG
    )
    assert "result" not in out


def test_string_builder_replaces_missing_attributes_with_empty_strings():
    """[API] is_replace_missing: 'If true, it replaces all missing attributes of template by an empty string'."""
    out = run(
        proc(
            "string-builder-processor", template="[%{http}|%{nope}|%{http.method}]", target="r", is_replace_missing=True
        ),
        SB_DOC_LOG,
    )
    assert out["r"] == "[||GET]"


def test_string_builder_default_is_skip_and_it_overwrites_the_target():
    """[API] is_replace_missing default false; [SB] 'If a target attribute already exists, it is overwritten'."""
    spec = {"type": "string-builder-processor", "is_enabled": True, "template": "%{a}-%{b}", "target": "t"}
    assert run(spec, {"a": "x", "t": "old"})["t"] == "old"
    assert run(spec, {"a": "x", "b": True, "t": "old"})["t"] == "x-true"


def test_string_builder_result_is_capped_at_256_characters():
    """[SB] 'Results of a template cannot exceed 256 characters' (CHOICE: cut)."""
    out = run(proc("string-builder-processor", template="%{a}!", target="t"), {"a": "x" * 300})
    assert out["t"] == "x" * 256


@pytest.mark.parametrize("template", ["%{}", "abc %{open", "%{ }"])
def test_string_builder_bad_templates(template):
    with pytest.raises(ContentError, match="template"):
        pipeline(proc("string-builder-processor", template=template, target="t"))


def test_string_builder_nulls_and_literal_dotted_keys():
    spec = proc("string-builder-processor", template="%{a.b}", target="t", is_replace_missing=True)
    assert run(spec, {"a.b": "literal", "a": {"b": "nested"}})["t"] == "literal"
    assert run(spec, {"a": {"b": None}})["t"] == ""


# =========================================================================== lookup processor

LOOKUP = proc(
    "lookup-processor", source="user.id", target="user.username", lookup_table=["42,alice.doe", "77,bob.smith"]
)


def test_lookup_doc_example():
    """[LOOKUP] user.id 42 -> alice.doe."""
    assert run(LOOKUP, {"user": {"id": "42"}}) == {"user": {"id": "42", "username": "alice.doe"}}
    assert run(LOOKUP, {"user": {"id": 77}})["user"]["username"] == "bob.smith"


def test_lookup_default_only_when_the_source_exists():
    """[LOOKUP] 'if it does not find the value in the mapping table, it creates a target attribute with the default'."""
    spec = dict(LOOKUP, default_lookup="unknown")
    assert run(spec, {"user": {"id": "9"}})["user"]["username"] == "unknown"
    assert run(LOOKUP, {"user": {"id": "9"}}) == {"user": {"id": "9"}}
    assert run(spec, {"other": 1}) == {"other": 1}


def test_lookup_table_entries_are_csv_records():
    """CHOICE: quotes protect commas; spaces are part of the field (RFC 4180)."""
    spec = proc(
        "lookup-processor",
        source="k",
        target="v",
        lookup_table=['"a,b",comma key', 'x," quoted, value"', "user group,iam", " spaced,yes"],
    )
    assert run(spec, {"k": "a,b"})["v"] == "comma key"
    assert run(spec, {"k": "x"})["v"] == " quoted, value"
    assert run(spec, {"k": "user group"})["v"] == "iam"
    assert run(spec, {"k": " spaced"})["v"] == "yes"
    assert "v" not in run(spec, {"k": "spaced"})


@pytest.mark.parametrize(
    "table,message",
    [
        (["novalue"], "2 fields"),
        (["a,b,c"], "2 fields"),
        (["a,1", "a,2"], "listed twice"),
        ("a,b", "list"),
        ([1], "list"),
        (['"a,b'], "lookup_table"),
    ],
)
def test_lookup_bad_tables(table, message):
    with pytest.raises(ContentError, match=message):
        pipeline(proc("lookup-processor", source="k", target="v", lookup_table=table))


# =========================================================================== geo-ip parser


def test_geoip_parser_writes_datadogs_geoip_object():
    """[GEO] 'extracts continent, country, subdivision, or city information (if available) in the target attribute path'."""
    spec = {"type": "geo-ip-parser", "is_enabled": True}  # defaults: network.client.ip -> network.client.geoip
    out = run(spec, {"network": {"client": {"ip": "203.0.113.42"}}})
    geo = out["network"]["client"]["geoip"]
    assert geo["country"] == {"iso_code": "AU", "name": "Australia"}
    assert geo["continent"] == {"code": "OC", "name": "Oceania"}
    assert geo["subdivision"] == {"iso_code": "NSW", "name": "New South Wales"}
    assert geo["city"] == {"name": "Sydney"}
    assert geo["location"] == {"latitude": -33.8688, "longitude": 151.2093}
    assert geo["ipAddress"] == "203.0.113.42" and geo["as"]["number"] == "AS64504"


def test_geoip_parser_ipv6_custom_target_and_first_known_source():
    spec = proc("geo-ip-parser", sources=["a", "b", "c"], target="client.geo")
    out = run(spec, {"a": "8.8.8.8", "b": "2001:db8:e::1", "c": "192.0.2.1"}, geoip=GeoIP.bundled())
    assert out["client"]["geo"]["city"]["name"] == "Johannesburg"


@pytest.mark.parametrize("ip", ["8.8.8.8", "10.1.2.3", "bogus", 42, None])
def test_geoip_parser_writes_nothing_for_unknown_addresses(ip):
    out = run(proc("geo-ip-parser", sources=["ip"], target="geo"), {"ip": ip})
    assert "geo" not in out


def test_geoip_objects_are_not_shared_between_events():
    p = pipeline(proc("geo-ip-parser", sources=["ip"], target="geo"))
    first = p.process({"ip": "192.0.2.1"})
    first["geo"]["city"]["name"] = "changed"
    assert p.process({"ip": "192.0.2.1"})["geo"]["city"]["name"] == "New York"


# =========================================================================== grok parser

GROK = proc(
    "grok-parser",
    source="message",
    samples=["john connected on 11/08/2017"],
    grok={
        "support_rules": "",
        "match_rules": 'MyParsingRule %{word:user} connected on %{date("MM/dd/yyyy"):connect.date}',
    },
)


def test_grok_parser_writes_extracts_by_dotted_path():
    """[GROK]/[PARSE] 'john connected on 11/08/2017' example."""
    out = run(GROK, {"message": "john connected on 11/08/2017", "status": "info"})
    assert out == {
        "message": "john connected on 11/08/2017",
        "status": "info",
        "user": "john",
        "connect": {"date": 1510099200000},
    }


def test_grok_parser_overwrites_existing_attributes():
    """CHOICE: the parser's output is merged into the log (the [GROK] example's `date`)."""
    out = run(GROK, {"message": "john connected on 11/08/2017", "user": "someone else"})
    assert out["user"] == "john"


@pytest.mark.parametrize("event", [{"message": "no match here"}, {"message": 123}, {"user": "x"}])
def test_grok_parser_leaves_unmatched_or_non_string_sources_alone(event):
    assert run(GROK, event) == event


def test_grok_parser_parses_any_source_attribute():
    spec = proc("grok-parser", source="raw.line", grok={"match_rules": "r %{notSpace:usr.name} %{integer:n}"})
    out = run(spec, {"raw": {"line": "bob 7"}})
    assert out["usr"] == {"name": "bob"} and out["n"] == 7


@pytest.mark.parametrize(
    "change,message",
    [
        ({"samples": ["s"] * 6}, "at most 5"),
        ({"samples": ["x" * 5001]}, "at most 5000"),
        ({"grok": {"match_rules": ""}}, "match_rules"),
        (
            {"grok": {"match_rules": "r %{word:a", "support_rules": ""}},
            r"processors\[0\] \(grok-parser 'a grok-parser'\)",
        ),
        ({"grok": {"matchRules": "r %{word:a}"}}, "grok"),
    ],
)
def test_grok_parser_bad_definitions(change, message):
    with pytest.raises(ContentError, match=message):
        pipeline({**GROK, **change})


# =========================================================================== produced attributes


def test_produced_attributes_lists_every_path_a_processor_can_write():
    p = pipeline(
        proc("attribute-remapper", sources=["a"], target="usr.email"),
        proc("attribute-remapper", sources=["e"], target="env", target_type="tag"),
        proc("date-remapper", sources=["t"]),
        proc("status-remapper", sources=["l"]),
        {
            "type": "pipeline",
            "is_enabled": True,
            "processors": [
                proc("service-remapper", sources=["s"]),
                proc("message-remapper", sources=["m"]),
                proc("category-processor", target="evt.category", categories=[{"filter": {"query": "*"}, "name": "x"}]),
                proc("string-builder-processor", template="t", target="zoom.summary"),
                proc("lookup-processor", source="k", target="evt.name", lookup_table=["a,b"]),
                proc("geo-ip-parser", sources=["ip"], target="network.client.geoip"),
                GROK,
                {"type": "string-builder-processor", "template": "off", "target": "disabled.target"},
            ],
        },
        {
            "type": "pipeline",
            "is_enabled": False,
            "processors": [proc("string-builder-processor", template="t", target="in.disabled.pipeline")],
        },
    )
    produced = p.produced_attributes()
    assert {
        "usr.email",
        "tag:env",
        "timestamp",
        "status",
        "service",
        "message",
        "evt.category",
        "zoom.summary",
        "evt.name",
        "user",
        "connect.date",
        "network.client.geoip",
        "network.client.geoip.country.iso_code",
        "network.client.geoip.country.name",
        "network.client.geoip.continent.code",
        "network.client.geoip.continent.name",
        "network.client.geoip.subdivision.name",
        "network.client.geoip.subdivision.iso_code",
        "network.client.geoip.city.name",
        "network.client.geoip.location.latitude",
        "network.client.geoip.location.longitude",
        "network.client.geoip.ipAddress",
        "network.client.geoip.as.number",
    } <= produced
    assert "disabled.target" not in produced and "in.disabled.pipeline" not in produced
    produced.add("mutated")
    assert "mutated" not in p.produced_attributes()


def test_every_written_path_is_announced():
    """What the geoip parser actually writes stays within produced_attributes()."""
    p = pipeline(proc("geo-ip-parser", sources=["ip"], target="g"))
    out = p.process({"ip": "2001:db8:11::1"})

    def paths(node, prefix):
        for k, v in node.items():
            yield f"{prefix}.{k}"
            if isinstance(v, dict):
                yield from paths(v, f"{prefix}.{k}")

    assert set(paths(out["g"], "g")) <= p.produced_attributes()


def test_the_zoom_pipeline_compiles_and_announces_its_attributes():
    (pack,) = [p for p in load_pipelines() if p.id == "zoom-activity-logs"]
    p = compile_pipeline(pack.definition, geoip=GeoIP.bundled())
    produced = p.produced_attributes()
    assert {
        "usr.email",
        "network.client.ip",
        "network.client.geoip.country.iso_code",
        "evt.name",
        "evt.category",
        "evt.outcome",
        "zoom.setting.new_value",
        "status",
        "message",
        "timestamp",
    } <= produced
    event = p.process(
        from_ndjson_line(
            {
                "email": "a@example.com",
                "type": "Sign in",
                "ip_address": "192.0.2.9",
                "time": "2022-12-16T18:15:38Z",
                "log_type": "activity",
            }
        )
    )
    assert event["timestamp"] == 1671214538000
    assert get_path(event, "network.client.geoip.city.name") == "New York"
    assert has_path(event, "email") and event["message"].startswith("a@example.com Sign in from 192.0.2.9")
