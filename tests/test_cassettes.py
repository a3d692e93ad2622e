"""The real client and collector against Zoom's own request and response shapes.

The cassettes in tests/cassettes/test_cassettes/ are written by hand from Zoom's
documentation (the OpenAPI description of the two reports, the S2S OAuth token
endpoint, Zoom's error bodies and rate-limit headers) and from public real-shaped
records: they check our code against Zoom, not against our own emulator. They
replay with record_mode "none", so no test here can reach the network, and no
cassette may hold a credential (the last tests scan them all).
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml
from fake_datadog import API_KEY as DD_API_KEY
from fake_datadog import APP_KEY as DD_APP_KEY
from helpers import RecordingWaiter
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request as VcrRequest

from collector import retry
from collector.auth import ServerToServerAuth
from collector.client import ZoomClient
from collector.collect import Collector, Settings
from collector.errors import AuthError, ScopeError
from collector.ledger import Ledger
from collector.output import Sink

CASSETTES = Path(__file__).parent / "cassettes"
HERE = CASSETTES / "test_cassettes"  # pytest-recording's directory for this module

TOKEN = "zoom_s2s_token.yaml"
INVALID_CLIENT = "zoom_s2s_token_invalid_client.yaml"
ACTIVITIES = "zoom_activities_2023-03.yaml"
OPERATIONS = "zoom_operationlogs_2023-03.yaml"
DAILY_LIMIT = "zoom_activities_429_daily_limit.yaml"
MISSING_SCOPE = "zoom_operationlogs_missing_scope.yaml"
TOKEN_EXPIRED = "zoom_activities_page_token_expired.yaml"
SHIFTED = "zoom_activities_shifted_pages.yaml"

# What the cassettes were written for. The credentials are fakes; the secret must
# never appear in a cassette (test_no_cassette_holds_a_credential).
ACCOUNT_ID = "Ex4mpleAcc0untIdNotReal"
CLIENT_ID = "cassetteClientIdNotReal"
CLIENT_SECRET = "cassette-client-secret-0f3e9b7d-not-real"
TOKEN_URL = "https://zoom.us/oauth/token"
API_URL = "https://api.zoom.us/v2"
PLACEHOLDER_TOKEN = "<REDACTED>"
SINCE, UNTIL = date(2023, 3, 1), date(2023, 3, 31)
TODAY = date(2023, 3, 31)  # the cassettes' Date headers; the window is within six months of it

REPORT_KEYS = {
    "activity": ("/v2/report/activities", "activity_logs"),
    "operation": ("/v2/report/operationlogs", "operation_logs"),
}
PROJECT_FIELDS = ["log_type", "account", "record_id"]


@pytest.fixture
def vcr_config():
    return {
        "record_mode": "none",  # wins over --record-mode: these cassettes are never re-recorded
        "filter_headers": ["authorization"],
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
    }


@contextmanager
def collector_run(tmp_path: Path, log_types: tuple[str, ...]):
    """The project's real objects, wired as the CLI wires them, on a plain httpx.Client."""
    sent: list[httpx.Request] = []
    waiter = RecordingWaiter()
    stream = io.BytesIO()
    with httpx.Client(event_hooks={"request": [sent.append]}) as http:
        auth = ServerToServerAuth(http, TOKEN_URL, ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, waiter)
        client = ZoomClient(http, API_URL, auth, waiter)
        ledger = Ledger(tmp_path / "s.sqlite3", "default", TODAY)
        try:
            collector = Collector(
                client,
                ledger,
                Sink(stream, durable=False),
                Settings(log_types=log_types, lookback_days=1),
                waiter,
                today=lambda: TODAY,
            )
            yield SimpleNamespace(
                collector=collector, client=client, ledger=ledger, waiter=waiter, stream=stream, sent=sent
            )
        finally:
            ledger.close()


# -- reading the cassettes ------------------------------------------------------------
def interactions(name: str) -> list[dict]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))["interactions"]


def served_pages(name: str, log_type: str) -> list[list[dict]]:
    """Every records list the cassette serves with HTTP 200 for one report, in file order."""
    path, key = REPORT_KEYS[log_type]
    pages = []
    for item in interactions(name):
        if httpx.URL(item["request"]["uri"]).path == path and item["response"]["status"]["code"] == 200:
            pages.append(json.loads(item["response"]["body"]["string"])[key])
    return pages


def flat(pages):
    return [record for page in pages for record in page]


def compact(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def output_lines(run) -> list[dict]:
    return [json.loads(line) for line in run.stream.getvalue().decode("utf-8").splitlines()]


def zoom_part(line: dict) -> dict:
    return {k: v for k, v in line.items() if k not in PROJECT_FIELDS}


def check_lines(run, log_type: str, expected: list[dict], ordered: bool = True) -> list[dict]:
    """Each line: the record's own fields unchanged (same bytes, same order) plus our three."""
    raw = run.stream.getvalue().decode("utf-8").splitlines()
    lines = output_lines(run)
    assert len(lines) == len(expected)
    if ordered:
        assert [zoom_part(line) for line in lines] == expected
    else:
        assert Counter(compact(zoom_part(line)) for line in lines) == Counter(compact(r) for r in expected)
    for text, line in zip(raw, lines):
        zoom = zoom_part(line)
        assert list(line) == list(zoom) + PROJECT_FIELDS
        assert text.startswith(compact(zoom)[:-1] + ',"log_type":')  # Zoom's text, byte for byte
        assert line["log_type"] == log_type and line["account"] == "default"
        assert re.fullmatch(r"[0-9a-f]{32}", line["record_id"])
    assert len({line["record_id"] for line in lines}) == len(lines)
    return lines


def api_requests(run, log_type: str | None = None) -> list[httpx.Request]:
    paths = [REPORT_KEYS[log_type][0]] if log_type else [p for p, _ in REPORT_KEYS.values()]
    return [r for r in run.sent if r.url.host == "api.zoom.us" and r.url.path in paths]


def token_requests(run) -> list[httpx.Request]:
    return [r for r in run.sent if r.url.host == "zoom.us"]


def play_counts(cassette) -> list[int]:
    return [cassette.play_counts[i] for i in range(len(cassette.data))]


# -- the cassettes are Zoom's shapes, and the code reads them right ---------------------
def test_cassette_bodies_have_zoom_schema():
    """Guards the hand-written cassettes themselves against drifting from Zoom's schema."""
    activity_fields = ["email", "time", "type", "ip_address", "client_type", "version"]
    operation_fields = {"time", "operator", "category_type", "action", "operation_detail"}
    for name in (ACTIVITIES, OPERATIONS, DAILY_LIMIT, TOKEN_EXPIRED, SHIFTED):
        for item in interactions(name):
            uri = httpx.URL(item["request"]["uri"])
            assert uri.host == "api.zoom.us" and item["request"]["method"] == "GET"
            # the March window, or one of its days re-read alone
            assert (uri.params["from"], uri.params["to"]) in {
                ("2023-03-01", "2023-03-31"),
                ("2023-03-29", "2023-03-29"),
            }
            assert uri.params["page_size"] in ("300", "293")
            response = item["response"]
            headers = {k.lower(): v for k, v in response["headers"].items()}
            assert headers["content-type"] == ["application/json;charset=UTF-8"]
            assert headers["x-zm-trackingid"] and headers["x-ratelimit-category"] == ["Heavy"]
            assert headers["content-length"] == [str(len(response["body"]["string"].encode("utf-8")))]
            if response["status"]["code"] != 200:
                continue
            body = json.loads(response["body"]["string"])
            assert isinstance(body["next_page_token"], str) and body["page_size"] == int(uri.params["page_size"])
            if uri.path.endswith("/activities"):
                assert list(body) == ["from", "to", "page_size", "next_page_token", "activity_logs"]
                for record in body["activity_logs"]:
                    assert list(record) == activity_fields
                    assert record["type"] in ("Sign in", "Sign out")
                    assert re.fullmatch(r"2023-03-\d\dT\d\d:\d\d:\d\dZ", record["time"])
            else:
                assert set(body) == {"next_page_token", "page_size", "operation_logs"}
                for record in body["operation_logs"]:
                    assert set(record) == operation_fields
                    assert re.fullmatch(r"2023-03-\d\dT\d\d:\d\d:\d\dZ", record["time"])
            records = body.get("activity_logs") or body.get("operation_logs")
            times = [r["time"] for r in records]
            assert times == sorted(times, reverse=True)  # newest first, as Zoom serves them


@pytest.mark.vcr(TOKEN, ACTIVITIES)
def test_activity_report_two_pages_every_record_once(tmp_path, vcr):
    pages = served_pages(ACTIVITIES, "activity")
    with collector_run(tmp_path, ("activity",)) as run:
        run.collector.backfill(SINCE, UNTIL)
        lines = check_lines(run, "activity", flat(pages))
        assert run.ledger.total_counts() == {"activity": 5}
        assert run.ledger.last_poll_day("activity") == TODAY

    # The true repeat: two identical records of the same second, both written, two ids.
    repeat = [line for line in lines if line["time"] == "2023-03-29T11:38:50Z"]
    assert len(repeat) == 2 and zoom_part(repeat[0]) == zoom_part(repeat[1])
    assert repeat[0]["record_id"] != repeat[1]["record_id"]

    # The token request is Zoom's S2S shape: POST, query parameters, HTTP Basic, no body.
    (token,) = token_requests(run)
    assert token.method == "POST" and token.url.copy_with(query=None) == httpx.URL(TOKEN_URL)
    assert dict(token.url.params) == {"grant_type": "account_credentials", "account_id": ACCOUNT_ID}
    scheme, _, value = token.headers["authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(value).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert token.content == b""
    # Report requests: the bearer token from the token response; page two sends the
    # token of page one with the same from/to.
    first, second = api_requests(run)
    for request in (first, second):
        assert request.method == "GET" and request.headers["authorization"] == f"Bearer {PLACEHOLDER_TOKEN}"
    assert dict(first.url.params) == {"from": "2023-03-01", "to": "2023-03-31", "page_size": "300"}
    assert dict(second.url.params) == {**first.url.params, "next_page_token": "b43YBRLJFg3V4vsSpxvGdKIGtNbxn9h9If2"}
    assert run.waiter.sleeps == [] and run.client.retried == 0
    assert vcr.all_played and play_counts(vcr) == [1, 1, 1]
    # Had these been recorded, the credential header would have been dropped.
    probe = VcrRequest("POST", str(token.url), b"", {"Authorization": "Basic Y2lkOnNlY3JldA=="})
    assert not any(name.lower() == "authorization" for name in vcr.filter_request(probe).headers)


@pytest.mark.vcr(TOKEN, OPERATIONS)
def test_operation_report_every_record_once_text_unchanged(tmp_path, vcr):
    pages = served_pages(OPERATIONS, "operation")
    with collector_run(tmp_path, ("operation",)) as run:
        run.collector.backfill(SINCE, UNTIL)
        lines = check_lines(run, "operation", flat(pages))
        assert run.ledger.total_counts() == {"operation": 23}
    details = [line["operation_detail"] for line in lines]
    # Free text kept exactly: trailing spaces, two spaces before " - ", an empty
    # "set to", hyphens inside values, several changes in one record.
    assert "Activate User sjkfhdsf@jdfgkhgd.com " in details
    assert "Edit Group Recruiting " in details
    assert (
        "Update a Channel TestGroupChannel1  - Cloud Storage Retention: set to  - Name: "
        "from TestGroup1 to TestGroupChannel1"
    ) in details
    assert any(
        d.startswith("Sign-In Password Requirement  - Have at least") and d.count(": from ") == 4 for d in details
    )
    assert any("from User to Co-Owner" in d for d in details)
    # Display case and Zoom's lower-case spec example, passed through as served.
    assert {"User Group", "Account", "User", "Channels", "user"} == {line["category_type"] for line in lines}
    assert {"Batch Update", "SCIM API - Update", "delete"} <= {line["action"] for line in lines}
    # Two different records in the same second: both written.
    assert sum(line["time"] == "2023-03-28T20:28:48Z" for line in lines) == 2
    (_, second) = api_requests(run)
    assert second.url.params["next_page_token"] == "IAfJX3jsOLW7w3dokmFl84zOa0MAVGyMEB2"
    assert "category_type" not in second.url.params
    assert vcr.all_played and run.waiter.sleeps == []


@pytest.mark.vcr(TOKEN, ACTIVITIES, OPERATIONS, allow_playback_repeats=True)
def test_second_run_over_the_same_cassettes_writes_nothing(tmp_path, vcr):
    expected = len(flat(served_pages(ACTIVITIES, "activity"))) + len(flat(served_pages(OPERATIONS, "operation")))
    with collector_run(tmp_path, ("activity", "operation")) as first:
        first.collector.backfill(SINCE, UNTIL)
        assert len(output_lines(first)) == expected == 28
        assert len(token_requests(first)) == 1  # one token serves both reports
    assert play_counts(vcr) == [1, 1, 1, 1, 1]

    # A second run (new process: new client, new token, same state file). Today's
    # day is not settled yet, so the window is read again, page by page, and the
    # ledger alone keeps every record from being written twice.
    with collector_run(tmp_path, ("activity", "operation")) as second:
        second.collector.backfill(SINCE, UNTIL)
        assert second.stream.getvalue() == b""
        assert second.collector.stats.read == expected and second.collector.stats.written == 0
        assert second.ledger.total_counts() == {"activity": 5, "operation": 23}
    assert len(api_requests(second)) == 4
    assert play_counts(vcr) == [2, 2, 2, 2, 2]


# -- failures ---------------------------------------------------------------------------
class _ClockAt(datetime):
    """datetime whose now() is the time of the cassette's 429 (its Date header)."""

    @classmethod
    def now(cls, tz=None):
        at = datetime(2023, 3, 31, 23, 58, 30, tzinfo=UTC)
        return at.astimezone(tz) if tz else at.replace(tzinfo=None)


@pytest.mark.vcr(TOKEN, DAILY_LIMIT)
def test_daily_limit_429_waits_until_the_iso_retry_after(tmp_path, vcr, monkeypatch):
    monkeypatch.setattr(retry, "datetime", _ClockAt)
    # Zoom's reset time is also where the no-Retry-After fallback would wait until:
    # make sure the wait comes from the header, not from that fallback.
    monkeypatch.setattr(retry, "seconds_to_next_utc_midnight", lambda now: pytest.fail("Retry-After ignored"))
    with collector_run(tmp_path, ("activity",)) as run:
        run.collector.backfill(SINCE, UNTIL)
        check_lines(run, "activity", flat(served_pages(DAILY_LIMIT, "activity")))
    # retry-after 2023-04-01T00:00:00Z, read from lower-case headers, 90 s after the 429.
    assert run.waiter.sleeps == [90.0]
    assert run.client.rate_limited == 1 and run.client.retried == 0
    first, limited, again = api_requests(run)
    assert "next_page_token" not in first.url.params
    assert limited.url == again.url and again.url.params["next_page_token"] == "b43YBRLJFg3V4vsSpxvGdKIGtNbxn9h9If2"
    assert vcr.all_played


@pytest.mark.vcr(TOKEN, MISSING_SCOPE)
def test_missing_scope_names_the_operation_log_scope(tmp_path, vcr):
    with collector_run(tmp_path, ("operation",)) as run:
        run.collector.backfill(SINCE, UNTIL)  # a refusal of one report does not end the others
        refusal = run.collector.refused["operation"].error
        with pytest.raises(ScopeError) as info:
            run.collector.check_refused()  # ...but the run still fails, once they are done
        assert "refused the operation report" in str(info.value) and info.value.exit_code == 4
        assert run.ledger.settled_days("operation") == set()
        assert run.ledger.last_poll_day("operation") is None
        assert [(s, a, b) for s, a, b, _ in run.ledger.owed()] == [("operation", SINCE, UNTIL)]  # still owed
    zoom_message = json.loads(interactions(MISSING_SCOPE)[0]["response"]["body"]["string"])["message"]
    assert zoom_message in str(refusal)  # Zoom's own words are kept...
    ours = str(refusal).replace(zoom_message, "")
    assert "report:read:operation_logs:admin" in ours and "/report/operationlogs" in ours  # ...and ours name the fix
    assert refusal.exit_code == 4 and refusal.log_type == "operation"
    assert run.stream.getvalue() == b""
    assert len(api_requests(run)) == 1 and run.waiter.sleeps == []  # a refusal is not retried
    assert vcr.all_played


@pytest.mark.vcr(INVALID_CLIENT)
def test_invalid_client_is_an_auth_error_naming_the_variables(tmp_path, vcr):
    with collector_run(tmp_path, ("activity",)) as run:
        with pytest.raises(AuthError) as info:
            run.collector.backfill(SINCE, UNTIL)
    message = str(info.value)
    assert "ZOOM_CLIENT_ID" in message and "ZOOM_CLIENT_SECRET" in message
    assert "invalid_client" in message
    assert CLIENT_SECRET not in message and CLIENT_ID not in message
    assert info.value.exit_code == 3
    assert [r.url.host for r in run.sent] == ["zoom.us"]  # one token request, no retry, no report request
    assert run.waiter.sleeps == [] and run.stream.getvalue() == b""
    assert vcr.all_played


@pytest.mark.vcr(TOKEN, TOKEN_EXPIRED)
def test_expired_page_token_restarts_the_window_without_duplicates(tmp_path, vcr):
    with collector_run(tmp_path, ("activity",)) as run:
        run.collector.backfill(SINCE, UNTIL)
        # Page one was written before the token expired; the restart reads it again
        # and writes only what page two adds.
        once = served_pages(ACTIVITIES, "activity")
        check_lines(run, "activity", flat(once))
        assert run.ledger.total_counts() == {"activity": 5}
    assert run.collector.stats.restarts == 1 and run.collector.stats.unclean_windows == 0
    sizes_and_tokens = [(r.url.params["page_size"], r.url.params.get("next_page_token")) for r in api_requests(run)]
    assert sizes_and_tokens == [
        ("300", None),
        ("300", "b43YBRLJFg3V4vsSpxvGdKIGtNbxn9h9If2"),  # -> 400 code 300
        ("293", None),  # the window again, from page one
        ("293", "uBTK3NzNksdkuCUAQaFVFd86kyOr59zg4U2"),
    ]
    assert run.waiter.sleeps == []
    assert vcr.all_played and play_counts(vcr) == [1, 1, 1, 1, 1]


@pytest.mark.vcr(TOKEN, SHIFTED)
def test_pages_shifted_by_an_arrival_are_reread_without_duplicates(tmp_path, vcr):
    with collector_run(tmp_path, ("activity",)) as run:
        run.collector.backfill(SINCE, UNTIL)
        # The truth once paging settles: the whole-window re-read (page size 293) as served.
        truth = flat(served_pages(SHIFTED, "activity")[3:])
        lines = check_lines(run, "activity", truth, ordered=False)
        assert run.ledger.total_counts() == {"activity": 6}
    assert sum(line["time"] == "2023-03-29T11:38:50Z" for line in lines) == 2
    # first pass, its second page, the day that held back (it moved), then the whole window again
    assert [(r.url.params["from"], r.url.params["page_size"]) for r in api_requests(run)] == [
        ("2023-03-01", "300"),
        ("2023-03-01", "300"),
        ("2023-03-29", "293"),
        ("2023-03-01", "293"),
        ("2023-03-01", "293"),
        ("2023-03-01", "293"),
    ]
    assert run.collector.stats.unclean_windows == 0
    assert vcr.all_played


@pytest.mark.vcr(TOKEN)
def test_a_request_missing_from_the_cassettes_never_reaches_the_network(vcr):
    assert vcr.record_mode == "none"
    with httpx.Client() as http:
        with pytest.raises(CannotOverwriteExistingCassetteException):
            http.get(f"{API_URL}/report/activities", params={"from": "2023-03-30", "to": "2023-03-31"})


# -- no credential in any cassette -----------------------------------------------------------
_CREDENTIAL_PATTERNS = [
    ("an Authorization header", re.compile(r"authorization", re.IGNORECASE)),
    ("HTTP Basic credentials", re.compile(r"\bbasic\s+[A-Za-z0-9+/]{12,}={0,2}", re.IGNORECASE)),
    ("a Bearer token", re.compile(r"\bbearer\s+[^\s\"',}]", re.IGNORECASE)),
    ("a JWT (Zoom access tokens are JWTs)", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    (
        "a token value other than the placeholder",
        re.compile(r"(access|refresh)_token[\"']?\s*[:=]\s*[\"']?(?!<REDACTED>)[^\s\"',}]", re.IGNORECASE),
    ),
    ("a client secret value", re.compile(r"client_secret[\"']?\s*[:=]\s*[\"']?\w", re.IGNORECASE)),
    ("a Datadog key header", re.compile(r"dd-(api|application)-key", re.IGNORECASE)),
]
# the Datadog keys the push scripts' cassettes were recorded with (tests/fake_datadog.py)
_SECRETS = [
    CLIENT_SECRET,
    base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode(),
    DD_API_KEY,
    DD_APP_KEY,
]


def credential_findings(text: str) -> list[str]:
    found = [label for label, pattern in _CREDENTIAL_PATTERNS if pattern.search(text)]
    found += ["the test's client secret" for secret in _SECRETS if secret in text]
    return found


def test_credential_scan_catches_credentials_and_spares_zoom_text():
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    for bad in (
        "    headers:\n      Authorization:\n      - 'x'\n",
        "authorization: [Basic Y2xpZW50OnNlY3JldA==]",
        f"Basic {basic}",
        "Bearer abc.def",
        '{"access_token":"eyJhbGciOiJIUzUxMiJ9.eyJhdWQiOiJ6b29tIn0.sig","token_type":"bearer"}',
        '{"access_token":"tok1"}',
        "client_secret=hunter2",
        f"note: {CLIENT_SECRET}",
        "      DD-API-KEY:\n      - x\n",
        "dd-application-key: [abc]",
        f"body: {DD_APP_KEY}",
    ):
        assert credential_findings(bad), bad
    for fine in (
        '{"access_token":"<REDACTED>","token_type":"bearer","expires_in":3599}',
        "Edit User homer.simpson@duff.co  - Change Type: from Basic to Licensed",
        "Add User homer@simpson.io  - User Type: Basic - Department: Foo",
        "Security  - Sign in with Two-Factor Authentication: from On to Off",
    ):
        assert credential_findings(fine) == [], fine


def test_no_cassette_holds_a_credential():
    files = sorted(p for p in CASSETTES.rglob("*") if p.is_file())
    assert len(files) >= 8  # the scan must not pass by finding nothing
    problems = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = credential_findings(text)
        if path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
            for item in data.get("interactions", []):
                for part in ("request", "response"):
                    for name in (item.get(part) or {}).get("headers") or {}:
                        if name.lower() in ("authorization", "proxy-authorization", "cookie", "set-cookie"):
                            found.append(f"a {name} header in a {part}")
        if found:
            problems[str(path.relative_to(CASSETTES))] = found
    assert problems == {}
