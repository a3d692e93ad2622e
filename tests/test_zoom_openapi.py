"""The emulator and the collector against Zoom's own OpenAPI text for the three reports.

tests/zoom/openapi-reports.yaml is the excerpt (its header says what was transcribed from
where); tests/zoom_contract.py reads it with openapi-core, as published and strict. Checked:
the excerpt itself; that the emulator's and the collector's names, limits and enums are
Zoom's; every page the emulator serves with its default dataset; every refusal of a bad
request (and each place where the emulator knowingly departs from the text); every request
the collector sends to the emulator, for each report it reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from helpers import EmulatedRun
from openapi_contract import Recorder
from openapi_spec_validator import validate as validate_spec
from zoom_contract import (
    BASE,
    answer_schema,
    enum,
    granular_scopes,
    operation,
    parameters,
    records_key,
    request_problems,
    response_problems,
    spec,
)

from collector.cli import OPERATION_CATEGORIES
from collector.client import CLASSIC_SCOPE, REPORTS
from collector.collect import PAGE_SIZES
from collector.records import LOG_TYPES
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig
from emulator import api as emulator_api
from emulator.meetings import ACTIVITY_TYPES
from emulator.opdetails import CATEGORY_FILTERS

ACTIVITIES, OPERATIONS, MEETINGS = "/report/activities", "/report/operationlogs", "/report/meeting_activities"
REPORT_PATHS = (ACTIVITIES, OPERATIONS, MEETINGS)
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TODAY = NOW.date().isoformat()
SINCE = (NOW - timedelta(days=20)).date().isoformat()


# -- the excerpt, and the names both programs take from it --------------------------------------------


def test_the_excerpt_is_a_valid_description_of_the_three_reports():
    validate_spec(spec())
    assert spec()["info"] == {"title": "Meetings", "version": "2"}
    assert spec()["servers"] == [{"url": "https://api.zoom.us" + BASE}]
    assert sorted(spec()["paths"]) == sorted(REPORT_PATHS)
    ids = {path: operation(path)["operationId"] for path in REPORT_PATHS}
    assert ids == {
        ACTIVITIES: "reportSignInSignOutActivities",
        OPERATIONS: "reportOperationLogs",
        MEETINGS: "reportMeetingactivitylogs",
    }
    required = {path: {n for n, p in parameters(path).items() if p.get("required")} for path in REPORT_PATHS}
    assert required == {ACTIVITIES: set(), OPERATIONS: {"from", "to"}, MEETINGS: {"from", "to", "activity_type"}}
    assert parameters(ACTIVITIES)["page_size"]["schema"] == {"type": "integer", "example": 30}  # no maximum
    assert parameters(OPERATIONS)["page_size"]["schema"]["maximum"] == 300
    assert parameters(MEETINGS)["page_size"]["schema"] == {"type": "integer", "default": 30, "maximum": 300}
    keys = {path: records_key(path) for path in REPORT_PATHS}
    assert keys == {ACTIVITIES: "activity_logs", OPERATIONS: "operation_logs", MEETINGS: "meeting_activity_logs"}
    sign_in = answer_schema(ACTIVITIES)["properties"]["activity_logs"]["items"]["properties"]
    assert sign_in["type"]["enum"] == ["Sign in", "Sign out"] and sign_in["time"]["format"] == "date-time"
    assert set(answer_schema(OPERATIONS)["properties"]) == {"next_page_token", "page_size", "operation_logs"}
    meeting = answer_schema(MEETINGS)["properties"]["meeting_activity_logs"]
    assert meeting["maxItems"] == 300 and len(meeting["items"]["required"]) == 6
    for path in REPORT_PATHS:
        assert operation(path)["security"][0]["openapi_oauth"] == [CLASSIC_SCOPE, *granular_scopes(path)]


def test_the_emulator_serves_the_three_operations_by_zoom_s_names_limits_and_enums():
    served = {f"/report/{name}": entry for name, entry in emulator_api.ENDPOINTS.items()}
    assert sorted(served) == sorted(REPORT_PATHS)
    for path, (_, key, granular) in served.items():
        assert key == records_key(path) and [granular] == granular_scopes(path), path
    assert emulator_api.CLASSIC_SCOPE == CLASSIC_SCOPE
    for path in (OPERATIONS, MEETINGS):
        size = parameters(path)["page_size"]["schema"]
        assert (emulator_api.MAX_PAGE_SIZE, emulator_api.DEFAULT_PAGE_SIZE) == (size["maximum"], size["default"])
    assert list(CATEGORY_FILTERS) == enum(OPERATIONS, "category_type")
    # Every documented activity type is understood (the emulator also takes other cases and codes).
    assert {name.lower() for name in enum(MEETINGS, "activity_type")} <= set(ACTIVITY_TYPES)


@pytest.mark.parametrize("log_type", LOG_TYPES)
def test_the_collector_reads_each_report_by_zoom_s_names(log_type):
    report = REPORTS[log_type]
    assert operation(report.path) is not None, f"{report.path} is not in the Zoom excerpt"
    assert report.records_key == records_key(report.path)
    assert report.granular_scope in granular_scopes(report.path)
    # Whichever page size a pass picks, Zoom's text allows it.
    for size in PAGE_SIZES:
        query = [("from", "2026-03-01"), ("to", "2026-03-02"), ("page_size", str(size))]
        # and any other required parameter, at its first documented value (the meeting report's activity_type)
        query += [
            (n, p["schema"]["enum"][0])
            for n, p in parameters(report.path).items()
            if p.get("required") and "enum" in p["schema"]
        ]
        assert request_problems(report.path, query) == []


def test_the_collector_offers_exactly_zoom_s_operation_categories():
    assert list(OPERATION_CATEGORIES) == enum(OPERATIONS, "category_type")


# -- the emulator's answers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    """The default dataset, at a fixed time, with a token."""
    with Emulator(EmulatorConfig(now=lambda: NOW)) as emu, httpx.Client(timeout=10) as client:
        token = client.post(
            emu.token_url,
            params={"grant_type": "account_credentials", "account_id": emu.config.account_id},
            auth=(emu.config.client_id, emu.config.client_secret),
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield emu, client


def get(emulator, path: str, query: dict) -> httpx.Response:
    emu, client = emulator
    return client.get(emu.api_url + path, params=query)


def answer_cases(emulator) -> list[tuple[str, dict]]:
    window = {"from": SINCE, "to": TODAY}
    first = get(emulator, MEETINGS, {**window, "activity_type": "All Activities"}).json()["meeting_activity_logs"][0]
    return [
        (ACTIVITIES, {}),  # no dates: today
        (ACTIVITIES, {"to": TODAY}),
        (ACTIVITIES, window),  # 30 a page
        (ACTIVITIES, {**window, "page_size": "300"}),
        (OPERATIONS, window),
        *[(OPERATIONS, {**window, "page_size": "300", "category_type": c}) for c in enum(OPERATIONS, "category_type")],
        (MEETINGS, {**window, "activity_type": "All Activities"}),
        *[(MEETINGS, {**window, "page_size": "300", "activity_type": t}) for t in enum(MEETINGS, "activity_type")],
        (MEETINGS, {**window, "activity_type": "User Join", "search_key": "gmail"}),
        (
            MEETINGS,
            {**window, "activity_type": "All Activities", "meeting_number": first["meeting_number"].replace(" ", "")},
        ),
    ]


def test_every_page_of_the_emulator_follows_zoom_s_schemas(emulator):
    records: dict[str, int] = dict.fromkeys(REPORT_PATHS, 0)
    paged = set()
    for path, query in answer_cases(emulator):
        query = {**query}
        pages = 0
        while True:
            r = get(emulator, path, query)
            assert r.status_code == 200, (path, query, r.text)
            items = list(query.items())
            assert request_problems(path, items) == []
            assert response_problems(path, items, r) == []
            page = r.json()
            assert len(page[records_key(path)]) <= page["page_size"]
            records[path] += len(page[records_key(path)])
            pages += 1
            if not page["next_page_token"]:
                break
            query["next_page_token"] = page["next_page_token"]
        if pages > 1:
            paged.add(path)
    assert paged == set(REPORT_PATHS)
    assert records[ACTIVITIES] > 4000 and records[OPERATIONS] > 1000 and records[MEETINGS] > 10000, records


def a_page(emulator, path: str, query: dict) -> dict:
    r = get(emulator, path, query)
    assert r.status_code == 200 and response_problems(path, list(query.items()), r) == []
    return r.json()


def with_record(page: dict, key: str, change: dict, drop: str = "") -> dict:
    record = {k: v for k, v in {**page[key][0], **change}.items() if k != drop}
    return {**page, key: [record, *page[key][1:]]}


def test_the_answer_checks_name_each_kind_of_fault(emulator):
    window = {"from": SINCE, "to": TODAY, "page_size": "300"}
    meeting_query = {**window, "activity_type": "All Activities"}
    sign_in, ops = a_page(emulator, ACTIVITIES, window), a_page(emulator, OPERATIONS, window)
    meeting = a_page(emulator, MEETINGS, meeting_query)
    faults = [
        (ACTIVITIES, window, with_record(sign_in, "activity_logs", {"type": "Sign In"}), "is not one of"),
        (ACTIVITIES, window, with_record(sign_in, "activity_logs", {"time": "2026-03-18 10:00:00"}), "'date-time'"),
        (ACTIVITIES, window, with_record(sign_in, "activity_logs", {"email": "nobody"}), "'email'"),
        (ACTIVITIES, window, with_record(sign_in, "activity_logs", {"user_id": "x"}), "'user_id' was unexpected"),
        (ACTIVITIES, window, {**sign_in, "page_size": "300"}, "is not of type 'integer'"),
        (OPERATIONS, window, {**ops, "page_size": 301}, "greater than the maximum of 300"),
        (OPERATIONS, window, {**ops, "total_records": 9}, "'total_records' was unexpected"),
        (OPERATIONS, window, {**ops, "from": 20260301}, "is not of type 'string'"),
        (OPERATIONS, window, with_record(ops, "operation_logs", {"time": "yesterday"}), "'date-time'"),
        (OPERATIONS, window, with_record(ops, "operation_logs", {"operator": None}), "None is not of type"),
        (MEETINGS, meeting_query, {**meeting, "from": SINCE}, "'from' was unexpected"),
        (MEETINGS, meeting_query, with_record(meeting, "meeting_activity_logs", {"meeting_number": 1}), "type"),
        (MEETINGS, meeting_query, with_record(meeting, "meeting_activity_logs", {}, "operator_email"), "required"),
        (
            MEETINGS,
            meeting_query,
            {**meeting, "meeting_activity_logs": meeting["meeting_activity_logs"] * 2},
            "fails maxItems 300",
        ),
    ]
    for path, query, body, says in faults:
        problems = response_problems(path, list(query.items()), httpx.Response(200, json=body))
        assert any(says in p for p in problems), (path, says, problems)


# -- the emulator's refusals against the documented requirements ---------------------------------------

BOTH_ACCEPT, BOTH_REFUSE = "both accept", "both refuse"
# Where the emulator knowingly departs from the text, and why (docs/meeting-activity.md, the research notes).
LENIENT = "the emulator serves what the text refuses"
STRICTER = "the emulator refuses what the text allows"

W = {"from": "2026-03-01", "to": TODAY}
M = {**W, "activity_type": "All Activities"}
REFUSAL_CASES = [
    (ACTIVITIES, {}, BOTH_ACCEPT),
    (ACTIVITIES, W, BOTH_ACCEPT),
    (ACTIVITIES, {"page_size": "1000"}, BOTH_ACCEPT),  # no documented maximum (served as 300)
    (ACTIVITIES, {"page_size": "x"}, BOTH_REFUSE),
    (ACTIVITIES, {"page_size": "30.5"}, BOTH_REFUSE),
    (ACTIVITIES, {"from": "2026-3-1"}, BOTH_REFUSE),
    (ACTIVITIES, {"from": "20260301"}, BOTH_REFUSE),
    (ACTIVITIES, {"to": "2026-02-30"}, BOTH_REFUSE),
    (ACTIVITIES, {"page_size": "0"}, STRICTER),  # no documented minimum
    (ACTIVITIES, {"from": "2026-01-01", "to": TODAY}, STRICTER),  # one month: prose only
    (ACTIVITIES, {"from": "2025-06-01", "to": "2025-06-10"}, STRICTER),  # six months: prose only
    (ACTIVITIES, {"from": "2026-03-10", "to": "2026-03-01"}, STRICTER),  # to before from: not said
    (ACTIVITIES, {"next_page_token": "b43YBRLJFg3V4vsSpxvGdKIGtNbxn9h9If2"}, STRICTER),  # not a token of ours
    (ACTIVITIES, {"user_id": "x"}, LENIENT),  # an undeclared parameter is ignored
    (OPERATIONS, W, BOTH_ACCEPT),
    (OPERATIONS, {**W, "page_size": "300", "category_type": "zoom_rooms"}, BOTH_ACCEPT),
    (OPERATIONS, {}, BOTH_REFUSE),
    (OPERATIONS, {"from": "2026-03-01"}, BOTH_REFUSE),
    (OPERATIONS, {"to": TODAY}, BOTH_REFUSE),
    (OPERATIONS, {**W, "category_type": "users"}, BOTH_REFUSE),
    (OPERATIONS, {**W, "page_size": "many"}, BOTH_REFUSE),
    (OPERATIONS, {**W, "page_size": "301"}, LENIENT),  # above 300 served as 300
    (OPERATIONS, {**W, "category_type": "User"}, LENIENT),  # any case
    (OPERATIONS, {**W, "category_type": ""}, LENIENT),  # empty: all
    (MEETINGS, M, BOTH_ACCEPT),
    (MEETINGS, {**M, "activity_type": "Remote Control", "search_key": "Help Desk"}, BOTH_ACCEPT),
    (MEETINGS, {**W}, BOTH_REFUSE),  # activity_type is required, though it has a default
    (MEETINGS, {**M, "from": ""}, BOTH_REFUSE),
    (MEETINGS, {"to": TODAY, "activity_type": "User Left"}, BOTH_REFUSE),
    (MEETINGS, {**M, "activity_type": "Screen Share"}, BOTH_REFUSE),
    (MEETINGS, {**M, "page_size": "-1"}, STRICTER),  # no documented minimum
    (MEETINGS, {**M, "meeting_number": "abc"}, STRICTER),  # a string to the text; digits to the emulator
    (MEETINGS, {**M, "page_size": "301"}, LENIENT),  # above 300 served as 300
    (MEETINGS, {**M, "activity_type": "user join"}, LENIENT),  # any case
    (MEETINGS, {**M, "activity_type": "2"}, LENIENT),  # the codes the description lists
]


def test_the_emulator_refuses_what_zoom_s_text_refuses_and_each_departure_is_known(emulator):
    outcomes = []
    for path, query, _ in REFUSAL_CASES:
        text_ok = request_problems(path, list(query.items())) == []
        r = get(emulator, path, query)
        assert r.status_code in (200, 400), (path, query, r.status_code)
        if r.status_code == 400:
            body = r.json()
            assert body["code"] == 300 and isinstance(body["message"], str) and body["message"], body
        else:
            assert response_problems(path, list(query.items()), r) == []
        served = r.status_code == 200
        got = {(True, True): BOTH_ACCEPT, (False, False): BOTH_REFUSE, (False, True): LENIENT}.get(
            (text_ok, served), STRICTER
        )
        outcomes.append((path, query, got))
    assert outcomes == [(path, query, expected) for path, query, expected in REFUSAL_CASES]


# -- the collector's requests ---------------------------------------------------------------------------------


def collector_exchanges(monkeypatch, tmp_path, log_type: str, category: str | None = None):
    """(report path, query, response) of every report request the collector sends in a backfill of
    40 days (two windows of at most a month) and a poll, reading only `log_type`."""
    cfg = EmulatorConfig(seed=11, users=25, activity_per_day=80, operation_per_day=40, meetings_per_day=10)
    with Emulator(cfg) as emu:
        prefix = httpx.URL(emu.api_url).path
        recorder = Recorder().install(monkeypatch)
        run = EmulatedRun(emu, tmp_path / "s.sqlite3")
        run.collector.settings.log_types = (log_type,)
        run.collector.settings.category = category
        today = utc_today()
        run.collector.backfill(today - timedelta(days=40), today)
        run.collector.poll()
        written = {line["log_type"] for line in run.lines()}
        run.close()
        monkeypatch.undo()
    assert written == {log_type}
    out = []
    for sent, answer in recorder.exchanges:
        if sent.path.startswith(prefix):
            assert answer is not None
            response = httpx.Response(answer.status_code, headers=answer.headers, content=answer.data or b"")
            out.append((sent.path[len(prefix) :], sent.query, response))
    return out


def check_collector(exchanges, log_type: str) -> set[tuple[str, ...]]:
    report = REPORTS[log_type]
    assert exchanges
    shapes = set()
    for path, query, response in exchanges:
        assert path == report.path
        assert request_problems(path, query) == []
        assert response.status_code == 200, response.text
        assert response_problems(path, query, response) == []
        shapes.add(tuple(sorted(k for k, _ in query)))
    return shapes


@pytest.mark.slow
@pytest.mark.parametrize("log_type", LOG_TYPES)
def test_every_request_the_collector_sends_follows_zoom_s_text(monkeypatch, tmp_path, log_type):
    exchanges = collector_exchanges(monkeypatch, tmp_path, log_type)
    shapes = check_collector(exchanges, log_type)
    assert any("next_page_token" in shape for shape in shapes), "the backfill should page"
    sizes = {int(v) for _, query, _ in exchanges for k, v in query if k == "page_size"}
    assert sizes <= set(PAGE_SIZES) and sizes
    windows = {(dict(query)["from"], dict(query)["to"]) for _, query, _ in exchanges}
    assert all(date.fromisoformat(b) - date.fromisoformat(a) <= timedelta(days=31) for a, b in windows)


@pytest.mark.slow
def test_the_collectors_filtered_operation_log_requests_follow_zoom_s_text(monkeypatch, tmp_path):
    exchanges = collector_exchanges(monkeypatch, tmp_path, "operation", "role")
    check_collector(exchanges, "operation")
    assert len({dict(query)["from"] for _, query, _ in exchanges}) >= 2  # the two windows and the poll
    assert {dict(query).get("category_type") for _, query, _ in exchanges} == {"role"}


def test_the_collector_check_names_a_request_zoom_s_text_refuses():
    """What check_collector relies on: a bad request of the collector's shape is named."""
    good = [("from", "2026-03-01"), ("to", "2026-03-18"), ("page_size", "300")]
    assert request_problems(OPERATIONS, good) == []
    bad = {
        "too big a page": ([*good[:2], ("page_size", "500")], "greater than the maximum of 300"),
        "a category in display case": ([*good, ("category_type", "User Group")], "is not one of"),
        "no `to`": (good[::2], "'to' is missing"),
        "a timestamp for a date": ([("from", "2026-03-01T00:00:00Z"), *good[1:]], "is not a 'date'"),
        "an undeclared parameter": ([*good, ("page_number", "2")], "'page_number' is not declared"),
        "a parameter twice": ([*good, ("to", "2026-03-19")], "'to' is sent twice"),
        "another report's path": (good, "not an operation"),
    }
    for name, (query, says) in bad.items():
        path = "/report/operation_logs" if name == "another report's path" else OPERATIONS
        problems = request_problems(path, query)
        assert any(says in p for p in problems), (name, problems)
    meeting = [*good, ("activity_type", "All Activities")]
    assert request_problems(MEETINGS, meeting) == []
    assert any("'activity_type' is missing" in p for p in request_problems(MEETINGS, good))
    assert request_problems(ACTIVITIES, []) == []  # nothing is required there
