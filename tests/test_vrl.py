"""The Vector normalisation (pipelines/vector/zoom_activity_logs.vrl) against the Datadog pipeline.

Every pipeline sample, a few days of emulated records and a set of malformed lines go
through both: the Datadog pipeline in the offline simulator (contentkit), and the VRL
program in pyvrl (Vector's VRL compiler and runtime, embedded in Python). The results must
be equal: same keys, same values, same types.

What is compared, explicitly (see `datadog_side` / `vector_side`):
* Datadog's reserved attributes map to VRL fields: the official date (`timestamp`, ms since
  the epoch) <-> `.timestamp` (a VRL timestamp, compared in whole milliseconds), `status`
  <-> `.status`, `message` <-> `.message` (Datadog's empty default message, for lines the
  pipeline builds none for, <-> no `.message`).
* `source` and `tags` are set by the shipper, not the pipeline: not compared.
* `network.client.geoip.*` needs a geo-ip database (a Vector enrichment table, which pyvrl
  lacks): not compared.
* Everything else - raw fields, usr.*, network.client.ip, evt.*, zoom.* - must be identical.

pyvrl returns the value of the program's last expression while Vector keeps the event, so
the program is run with a final `.` appended.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pyvrl
import yaml

from collector.output import render
from contentkit.event import delete_path, from_ndjson_line, get_path
from contentkit.geoip import GeoIP
from contentkit.load import ROOT, load_pipelines
from contentkit.processors import compile_pipeline
from emulator import Emulator, EmulatorConfig

VRL_FILE = Path(ROOT) / "pipelines" / "vector" / "zoom_activity_logs.vrl"
PIPELINE_FILE = Path(ROOT) / "pipelines" / "zoom_activity_logs" / "pipeline.yaml"
PACK = next(p for p in load_pipelines(ROOT, []) if p.id == "zoom-activity-logs")
SAMPLES = PACK.samples
GEOIP = "network.client.geoip"
SHIPPER_SET = ("source", "tags")  # added by from_ndjson_line as a shipper would
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
GROK_MODE = "(?s)"
# Grok parsers the VRL twin reproduces without parse_groks, and why (checked below).
READ_WITHOUT_GROK = {"activity_time": "VRL 0.15's grok date() drops this shape's milliseconds"}


@pytest.fixture(scope="module")
def datadog():
    return compile_pipeline(PACK.definition, geoip=GeoIP.bundled())


@pytest.fixture(scope="module")
def vrl():
    return pyvrl.Transform(VRL_FILE.read_text("utf-8") + "\n.\n")


# ------------------------------------------------------------------------- the two sides


def datadog_side(pipeline, line: dict) -> dict:
    """The simulated Datadog event for `line`, in the comparison's terms."""
    event = pipeline.process(from_ndjson_line(copy.deepcopy(line), source=PACK.sample_source))
    out = copy.deepcopy(event)
    for key in SHIPPER_SET:
        out.pop(key, None)
    delete_path(out, GEOIP)
    if out.get("message") == "":
        del out["message"]  # no message built: Vector's event simply has none
    return out


def vector_side(transform, line: dict) -> dict:
    """The event the VRL program leaves for `line`, in the comparison's terms."""
    out = transform.remap(copy.deepcopy(line))
    assert isinstance(out, dict), f"the VRL program returned {out!r}, not the event"
    if isinstance(out.get("timestamp"), datetime):
        out["timestamp"] = (out["timestamp"] - EPOCH) // MILLISECOND
    return out


def differences(dd, vr, path: str = "") -> list[str]:
    """Every place where the two events differ, one readable line each (types included)."""
    if isinstance(dd, dict) and isinstance(vr, dict):
        out = []
        for key in sorted(set(dd) | set(vr), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in vr:
                out.append(f"  {where}: only in Datadog = {dd[key]!r}")
            elif key not in dd:
                out.append(f"  {where}: only in VRL = {vr[key]!r}")
            else:
                out.extend(differences(dd[key], vr[key], where))
        return out
    if isinstance(dd, list) and isinstance(vr, list) and len(dd) == len(vr):
        return [d for i, (a, b) in enumerate(zip(dd, vr)) for d in differences(a, b, f"{path}[{i}]")]
    if type(dd) is not type(vr) or dd != vr:
        return [f"  {path}: Datadog {dd!r} ({type(dd).__name__}) != VRL {vr!r} ({type(vr).__name__})"]
    return []


def compare(datadog, vrl, line: dict, label: str) -> str | None:
    """None when both sides agree, else a report naming the line and every difference."""
    problems = differences(datadog_side(datadog, line), vector_side(vrl, line))
    if not problems:
        return None
    return f"{label}: Datadog pipeline and VRL differ\n  line: {json.dumps(line, ensure_ascii=False)}\n" + "\n".join(
        problems
    )


# ------------------------------------------------------------------------- the program


def test_vrl_program_compiles():
    pyvrl.Transform(VRL_FILE.read_text("utf-8"))  # as Vector's remap transform would load it


def test_grok_rules_are_the_pipelines_own():
    """The grok rules are copied verbatim (VRL raw strings) so both parse the same way; match
    rules get the VRL file's explicit `(?s)` (DOTALL: `data` spans line breaks, as Datadog
    documents and the simulator reads it), since VRL's own default changed between versions."""
    text = VRL_FILE.read_text("utf-8")
    definition = yaml.safe_load(PIPELINE_FILE.read_text("utf-8"))["definition"]
    groks = [
        p
        for nested in definition["processors"]
        if nested["type"] == "pipeline"
        for p in nested["processors"]
        if p["type"] == "grok-parser"
    ]
    assert len(groks) == 14
    for grok in groks:
        for line in grok["grok"]["match_rules"].splitlines():
            if line.strip() and grok["source"] not in READ_WITHOUT_GROK:
                pattern = line.split(" ", 1)[1].replace("'", "\\'")  # a raw string escapes only '
                assert f"s'{GROK_MODE}{pattern}'" in text, f"{grok['name']}: match rule not in the VRL: {pattern}"
        for line in (grok["grok"].get("support_rules") or "").splitlines():
            if line.strip():
                name, pattern = line.split(" ", 1)
                assert f"\"{name}\": s'{pattern}'" in text, f"{grok['name']}: support rule not in the VRL: {line}"


def test_activity_time_is_read_as_the_pipeline_reads_it(datadog, vrl):
    """The one grok rule not copied (READ_WITHOUT_GROK): the VRL reads `activity_time` with
    parse_timestamp instead; both give the same instant for every fraction length Joda's
    SSS takes, and neither dates an impossible day or another shape."""
    base = next(s["log"] for s in SAMPLES if s["log"]["log_type"] == "meeting_activity")
    for when, millis in (
        ("2024-03-21 07:09:03:216", 1711004943216),
        ("2024-03-21 07:09:03:2", 1711004943200),
        ("2024-03-21 07:09:03:21", 1711004943210),
        ("2024-03-21 07:09:03:216999", 1711004943216),
        ("1970-01-01 00:00:00:000", 0),
        ("2024-02-30 07:09:03:216", None),
        ("2024-03-21 07:09:03", None),
        ("2024-03-21T07:09:03:216Z", None),
        (" 2024-03-21 07:09:03:216", None),
    ):
        line = {**base, "activity_time": when}
        side = datadog_side(datadog, line)
        assert get_path(side, "ocsf.time") == millis, when
        problem = compare(datadog, vrl, line, when)
        assert problem is None, problem


def _query_values(query: str) -> list[str]:
    """The values of a `@attr:(a OR "b c" OR ...)` group, unquoted."""
    group = query.split(":(", 1)[1].rsplit(")", 1)[0]
    return [v.strip().strip('"') for v in group.split(" OR ")]


def _vrl_list(name: str) -> list[str]:
    text = VRL_FILE.read_text("utf-8").split(f"  {name} = [", 1)[1].split("]", 1)[0]
    return json.loads("[" + text.strip().rstrip(",") + "]")


def _category_queries(target: str) -> dict[str, str]:
    for nested in PACK.definition["processors"]:
        for p in nested.get("processors", []):
            if p["type"] == "category-processor" and p["target"] == target:
                return {c["name"]: c["filter"]["query"] for c in p["categories"]}
    raise AssertionError(target)


def test_the_webmail_and_impersonation_lists_are_the_pipelines_own():
    """The lists live in the pipeline's category processors; the VRL holds a verbatim copy."""
    trust = _category_queries("zoom.meeting.participant.trust")
    assert _vrl_list("webmail") == _query_values(trust["webmail"])
    poses = _category_queries("zoom.meeting.participant.impersonates")
    assert _vrl_list("poses_as_zoom") == _query_values(poses["zoom"])
    assert _vrl_list("poses_as_it") == _query_values(poses["it_support"])
    assert {"gmail.com", "yahoo.*", "gmx.*", "proton.me", "qq.com"} <= set(_vrl_list("webmail"))


# ------------------------------------------------------------------------- equality


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_sample_same_in_vrl_and_datadog(datadog, vrl, sample):
    problem = compare(datadog, vrl, sample["log"], sample["name"])
    assert problem is None, problem


def test_samples_cover_the_pipeline():
    assert len(SAMPLES) >= 40


def emulated_lines(seed: int, days: int = 3) -> list[dict]:
    """Every record the emulator serves for `days` days, as the collector writes it."""
    now = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    emu = Emulator(EmulatorConfig(seed=seed, history_days=days, now=lambda: now))
    since = now.date() - timedelta(days=days - 1)
    lines = []
    for kind in ("activity", "operation", "meeting_activity"):
        for i, record in enumerate(emu.truth(kind, since, now.date())):
            lines.append(json.loads(render(record, kind, "default", f"{seed:08x}{i:024x}")))
    return lines


SEEDS = (7, 11, 2024)


@pytest.mark.parametrize("seed", SEEDS)
def test_emulated_records_same_in_vrl_and_datadog(datadog, vrl, seed):
    lines = emulated_lines(seed)
    kinds = {line["log_type"] for line in lines}
    assert kinds == {"activity", "operation", "meeting_activity"} and len(lines) > 300
    problems, names = [], set()
    for i, line in enumerate(lines):
        problem = compare(datadog, vrl, line, f"seed {seed}, record {i}")
        if problem:
            problems.append(problem)
        side = datadog_side(datadog, line)
        names.add((get_path(side, "ocsf.type_uid"), get_path(side, "ocsf.entity.type")))
    shown = "\n\n".join(problems[:5])
    assert not problems, f"{len(problems)} of {len(lines)} emulated records differ; first ones:\n\n{shown}"
    assert len(names) >= 12, sorted(names, key=str)  # many shapes of operation_detail went through


# ------------------------------------------------------------------------- odd lines

HEALTH = {
    "log_type": "health",
    "account": "default",
    "time": "2026-11-20T10:00:00Z",
    "status": "ok",
    "records_emitted": 12,
    "records_emitted_total": 340,
    "lag_seconds": 61.5,
    "last_success": "2026-11-20T09:59:00Z",
    "last_error": None,
    "error_kind": None,
    "requests": 4,
    "rate_limited": 0,
    "retried": 0,
    "daily_remaining": None,
    "collector_version": "0.1.0",
}
OP = {
    "category_type": "Account",
    "action": "Update",
    "operator": "admin@example.com",
    "operation_detail": "Security  - Waiting Room: from On to Off",
    "time": "2026-11-20T10:00:00Z",
    "log_type": "operation",
    "account": "default",
    "record_id": "0" * 32,
}
ACT = {
    "email": "kim@example.com",
    "type": "Sign in",
    "ip_address": "192.0.2.1",
    "client_type": "mac",
    "version": "6.1.0",
    "time": "2026-11-20T10:00:00Z",
    "log_type": "activity",
    "account": "default",
    "record_id": "1" * 32,
}
MEET = {
    "meeting_number": "982 610 0285",
    "activity_time": "2024-03-21 07:09:03:216",
    "operator": "Zoom",
    "operator_email": "x@gmail.com",
    "activity_category": "Remote control",
    "activity_detail": "Zoom started remote control of Jill Chill's screen",
    "log_type": "meeting_activity",
    "account": "default",
    "record_id": "2" * 32,
}
LONG = "Sign-In Password Requirement  - " + " - ".join(
    f"Règle numéro {i} de São Paulo: from On to Off" for i in range(12)
)

# Lines the collector never writes, or writes rarely; both sides must agree on them too.
ODD = {
    "empty object": {},
    "health line": HEALTH,
    "health line with an error": {**HEALTH, "status": "error", "last_error": "HTTP 500", "error_kind": "ApiError"},
    "unknown log type": {"log_type": "webinar", "time": "2026-11-20T10:00:00Z", "id": 5},
    "log type null": {"log_type": None, "email": "a@example.com"},
    "log type number": {"log_type": 3},
    "log type in capitals": {**ACT, "log_type": "Activity"},
    "bare operation": {"log_type": "operation"},
    "bare activity": {"log_type": "activity"},
    "operation with numbers and booleans": {**OP, "category_type": 5, "action": True, "operation_detail": 42},
    "operation with null fields": {**OP, "operator": None, "category_type": None, "operation_detail": None},
    "operation with an object detail": {**OP, "operation_detail": {"a": 1}},
    "operation with array fields": {
        **OP,
        "operator": ["a@example.com", "b@example.com"],
        "category_type": ["User", None, 2],
    },
    "operation with an array of objects": {**OP, "action": [{"a": 1}]},
    "operation detail with a newline": {**OP, "operation_detail": "Security  - Waiting Room: from On\nto Off"},
    "newline inside a value": {**OP, "operation_detail": "Security  - Waiting Room: from On to Of\nf - B: from 1 to 2"},
    "newline in a group name": {**OP, "category_type": "User Group", "operation_detail": "Add Group Sales\nEMEA"},
    "newline before a length change": {
        **OP,
        "operation_detail": "X  - A: from On to Off\n - Have at least specified length of characters: from 8 to 6",
    },
    "newline in the category": {**OP, "category_type": "User\nGroup"},
    "operation detail over 256 characters": {**OP, "operation_detail": LONG},
    "operation with unicode group": {
        **OP,
        "category_type": "User Group",
        "operation_detail": "Edit Group São Paulo Office  - PMI Passcode: from On to Off",
    },
    "operator with a pipe acting on self": {
        **OP,
        "category_type": "User",
        "operator": "x|y@example.com",
        "operation_detail": "Update User x|y@example.com  - User Role: from Member to Admin",
    },
    "self change in lower case": {
        **OP,
        "category_type": "user",
        "operator": "me@example.com",
        "operation_detail": "delete user - me@example.com",
    },
    "empty category and action": {**OP, "category_type": "", "action": ""},
    "huge password length": {
        **OP,
        "operation_detail": "X  - Have at least specified length of characters: from 99999999999999999999 to 8",
    },
    "role change in the user settings category": {
        **OP,
        "category_type": "User Settings",
        "operation_detail": "Change Role  - a@example.com: from User to Admin",
    },
    "activity with typed fields": {
        **ACT,
        "type": None,
        "email": ["a@example.com", "b@example.com"],
        "ip_address": {"v": 4},
        "version": 6,
        "client_type": True,
    },
    "activity with a number type": {**ACT, "type": 1},
    "activity without email": {k: v for k, v in ACT.items() if k != "email"},
    "activity with an own status": {**ACT, "status": "WARN"},
    "activity with an empty status": {**ACT, "status": ""},
    "activity with a numeric status": {**ACT, "status": 3},
    "user already set": {**ACT, "usr": {"email": "pre@example.com"}},
    "user already set to null": {**OP, "usr": {"email": None}},
    "client IP already set": {**ACT, "network": {"client": {"ip": "203.0.113.9"}}},
    "raw zoomselfchange field": {**OP, "zoomselfchange": "q@example.com"},
    "raw zoom object": {**OP, "zoom": {"role": "x", "kind": 5}},
    "raw non-object zoom, evt and usr": {**OP, "zoom": "text", "evt": 5, "usr": "me"},
    "array of objects on the way": {**OP, "usr": [{"email": "a@example.com"}]},
    "bare meeting activity": {"log_type": "meeting_activity"},
    "meeting with null fields": {**MEET, "operator": None, "operator_email": None, "activity_detail": None},
    "meeting with numbers": {**MEET, "meeting_number": 9826100285, "operator": 5, "activity_category": 3},
    "meeting with a boolean email": {**MEET, "operator_email": True},
    "meeting email with two @": {**MEET, "operator_email": "a@b@Yahoo.fr"},
    "meeting number with four groups": {**MEET, "meeting_number": "982 610 0285 1"},
    "meeting detail with a newline": {**MEET, "activity_detail": "Zoom started remote control of Jill\nChill's screen"},
    "meeting name over 256 characters": {**MEET, "operator": "Z" * 300},
    "meeting with a time field too": {**MEET, "time": "2026-11-20T10:00:00Z"},
    "meeting time without a fraction": {**MEET, "activity_time": "2024-03-21 07:09:03"},
    "meeting time in 1972 (seconds range)": {**MEET, "activity_time": "1972-01-01 00:00:00:000"},
    "dial-in wording outside a join": {
        **MEET,
        "activity_category": "User left",
        "activity_detail": "x joined the meeting by phone",
    },
    "remote control by a webmail IT admin": {**MEET, "operator": "IT Admin"},
}
TIMES = [
    "",
    "   ",
    "garbage",
    "2026-11-20",
    "2026-11-20T09:00:00",
    "2026-11-20 09:00:00",
    "2026-11-20T09:00:00.123456789Z",
    "2026-11-20T09:00:00.5-03:30",
    "2026-11-20T09:00:00+0530",
    "  2026-11-20T09:00:00Z  ",
    "2026-02-30T00:00:00Z",
    "1671214538",
    " 1671214538123 ",
    "-86400",
    "1671214538.25",
    1671214538,
    1671214538123,
    -5,
    10**15,
    1671214538.5,
    True,
    None,
    {"t": 1},
    ["x"],
]
for i, when in enumerate(TIMES):
    ODD[f"time {when!r}"] = {**(OP if i % 2 else ACT), "time": when}
del ODD["time None"]["time"]  # and a line without any time at all
ODD["no time"] = ODD.pop("time None")


@pytest.mark.parametrize("line", list(ODD.values()), ids=list(ODD))
def test_odd_lines_same_in_vrl_and_datadog(datadog, vrl, line):
    problem = compare(datadog, vrl, line, "odd line")
    assert problem is None, problem


# Lines on which the two differ, as the VRL file's header documents (none is a line the
# collector writes): the program must not fail on them, and the difference must be the
# documented one (if a change removes it, update the header and move the line to ODD).
DIFFERENT = {
    "float in a summary field": ({**ACT, "version": 6.0}, {"message", "ocsf.message", "zoom.summary"}),
    "RFC 3164 date": ({**ACT, "time": "Nov 20 09:00:00"}, {"timestamp"}),
    "ISO 8601 basic date": ({**OP, "time": "20261120T090000Z"}, {"timestamp"}),
    "literal dotted key": (
        {**ACT, "usr.email": "other@example.com"},
        {"message", "ocsf.message", "usr", "zoom.summary"},
    ),
}


@pytest.mark.parametrize("line,fields", list(DIFFERENT.values()), ids=list(DIFFERENT))
def test_documented_differences(datadog, vrl, line, fields):
    problems = differences(datadog_side(datadog, line), vector_side(vrl, line))
    assert {p.split(":")[0].strip() for p in problems} == fields, "\n".join(problems)


def test_nothing_aborts_on_every_field_of_every_type(vrl):
    """Each field the program reads, set to each JSON type, in both log types."""
    values = [None, True, 0, -1.5, "", "x", [], [None], ["a", 1], [{}], {}, {"a": "b"}]
    fields = (
        "time",
        "status",
        "log_type",
        "email",
        "ip_address",
        "type",
        "client_type",
        "version",
        "operator",
        "category_type",
        "action",
        "operation_detail",
        "usr",
        "network",
        "evt",
        "zoom",
        "zoomselfchange",
        "meeting_number",
        "activity_time",
        "operator_email",
        "activity_category",
        "activity_detail",
    )
    runs = 0
    for base in (ACT, OP, MEET, {}):
        for field in fields:
            for value in values:
                vector_side(vrl, {**base, field: value})
                runs += 1
    assert runs == 4 * len(fields) * len(values)


def test_comparison_reports_differences_clearly():
    report = differences({"a": 1, "b": {"c": "x"}, "m": "1"}, {"a": 1.0, "b": {"d": "x"}, "m": "1"})
    assert report == [
        "  a: Datadog 1 (int) != VRL 1.0 (float)",
        "  b.c: only in Datadog = 'x'",
        "  b.d: only in VRL = 'x'",
    ]


def test_geoip_is_the_only_thing_excluded(datadog, vrl):
    """A located sign-in: Datadog has a geoip object, the VRL none; all else is equal."""
    line = {**ACT, "ip_address": "192.0.2.1"}
    event = datadog.process(from_ndjson_line(copy.deepcopy(line), source=PACK.sample_source))
    assert get_path(event, "network.client.geoip.country.iso_code") == "US"
    assert "geoip" not in vector_side(vrl, line)["network"]["client"]
    assert compare(datadog, vrl, line, "located sign-in") is None


def test_geoip_snippet_in_the_header_runs_with_a_stubbed_table():
    """The header's Vector geo-ip snippet: pyvrl has no enrichment tables, so the two lookups
    are replaced by records shaped like Vector's geoip tables (City and ASN databases)."""
    header = VRL_FILE.read_text("utf-8").split("# and add a second remap transform")[1]
    header = header.split("# Vector's City table")[0]
    snippet = "\n".join(line[4:] for line in header.splitlines() if line.startswith("#   "))
    calls = {
        'get_enrichment_table_record("geoip_city", {"ip": .network.client.ip})': "object(.stub_city)",
        'get_enrichment_table_record("geoip_asn", {"ip": .network.client.ip})': "object(.stub_asn)",
    }
    for call, stub in calls.items():
        assert call in snippet
        snippet = snippet.replace(call, stub)
    geo = pyvrl.Transform(snippet + "\ndel(.stub_city)\ndel(.stub_asn)\n.\n")
    city = {
        "city_name": "Boxford",
        "continent_code": "EU",
        "country_code": "GB",
        "country_name": "United Kingdom",
        "latitude": 51.75,
        "longitude": -1.25,
        "metro_code": None,
        "postal_code": "OX1",
        "region_code": "WBK",
        "region_name": "West Berkshire",
        "timezone": "Europe/London",
    }
    asn = {
        "autonomous_system_number": 64496,
        "autonomous_system_organization": "Example Broadband",
        "isp": None,
        "organization": None,
    }
    out = geo.remap({"network": {"client": {"ip": "2.125.160.216"}}, "stub_city": city, "stub_asn": asn})
    assert out["network"]["client"]["geoip"] == {
        "ipAddress": "2.125.160.216",
        "country": {"iso_code": "GB", "name": "United Kingdom"},
        "continent": {"code": "EU"},
        "subdivision": {"iso_code": "WBK", "name": "West Berkshire"},
        "city": {"name": "Boxford"},
        "location": {"latitude": 51.75, "longitude": -1.25},
        "as": {"number": "AS64496", "name": "Example Broadband"},
    }
    # an address the databases do not know: nothing is added
    assert geo.remap({"network": {"client": {"ip": "10.0.0.1"}}}) == {"network": {"client": {"ip": "10.0.0.1"}}}


def test_datadog_pipeline_after_the_vrl_changes_nothing(datadog, vrl):
    """Normalised by Vector and then shipped to Datadog: the pipeline gives the same result
    as on the raw line (docs/vector-vrl.md says running both does no harm)."""
    for line in [s["log"] for s in SAMPLES] + emulated_lines(SEEDS[0], days=1):
        shipped = vector_side(vrl, line)
        shipped.pop("timestamp", None)  # Datadog takes it as the official date, not an attribute
        shipped.pop("message", None)  # ... and this as the message
        again = datadog_side(datadog, shipped)
        direct = datadog_side(datadog, line)
        again.pop("timestamp", None)
        direct.pop("timestamp", None)
        problems = differences(direct, again)
        assert not problems, f"{json.dumps(line)}\n" + "\n".join(problems)
