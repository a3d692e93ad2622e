"""The local Zoom emulator behaves the way Zoom documents its report API."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from emulator import Emulator, EmulatorConfig, geo
from emulator.timeutil import add_months

NOW = datetime(2026, 3, 18, 12, 0, 0, tzinfo=UTC)  # a Wednesday, noon UTC
TODAY = NOW.date()
ACTIVITY_KEYS = ["email", "time", "type", "ip_address", "client_type", "version"]
OPERATION_KEYS = ["time", "operator", "category_type", "action", "operation_detail"]
RECORD_KEYS = {
    "activities": "activity_logs",
    "operationlogs": "operation_logs",
    "meeting_activities": "meeting_activity_logs",
}
DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]


class Clock:
    """A clock tests can move."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make(**kw) -> Emulator:
    kw.setdefault("now", Clock())
    return Emulator(EmulatorConfig(**kw))


@pytest.fixture(scope="module")
def emu():
    # One shared, read-only account; volume high enough that every shape shows up in a month.
    with make(seed=7, operation_per_day=150) as e:
        yield e


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def fetch_token(c: httpx.Client, e: Emulator) -> str:
    r = c.post(
        e.token_url,
        params={"grant_type": "account_credentials", "account_id": e.config.account_id},
        auth=(e.config.client_id, e.config.client_secret),
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def get(c: httpx.Client, e: Emulator, endpoint: str, token: str, **params) -> httpx.Response:
    return c.get(f"{e.api_url}/report/{endpoint}", params=params, headers={"Authorization": f"Bearer {token}"})


def read_all(c, e, endpoint, token, since, until, page_size=300, **extra):
    key = RECORD_KEYS[endpoint]
    out, pages, page_token = [], 0, ""
    while True:
        params = {"from": since.isoformat(), "to": until.isoformat(), "page_size": page_size, **extra}
        if page_token:
            params["next_page_token"] = page_token
        r = get(c, e, endpoint, token, **params)
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body[key])
        pages += 1
        page_token = body["next_page_token"]
        if page_token == "":
            return out, pages


def assert_error(r: httpx.Response, status: int, code: int, message: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    if message is not None:
        assert body["message"] == message
    return body


# ---- OAuth -----------------------------------------------------------------------


def test_token_flow_and_errors(emu, client):
    url, cfg = emu.token_url, emu.config
    ok = {"grant_type": "account_credentials", "account_id": cfg.account_id}
    r = client.post(url, params=ok, auth=(cfg.client_id, cfg.client_secret))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "api_url"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3599
    assert body["scope"] == "report:read:admin" and body["api_url"] == emu.base_url
    assert "x-zm-trackingid" in r.headers
    # Parameters in a form body work too, and several tokens are live at once.
    r2 = client.post(url, data=ok, auth=(cfg.client_id, cfg.client_secret))
    assert r2.status_code == 200 and r2.json()["access_token"] != body["access_token"]
    for tok in (body["access_token"], r2.json()["access_token"]):
        assert get(client, emu, "activities", tok).status_code == 200

    r = client.post(url, params=ok, auth=(cfg.client_id, "wrong"))
    invalid_client = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    assert (r.status_code, r.json()) == (401, invalid_client)
    r = client.post(url, params=ok)
    assert r.status_code == 401
    r = client.post(url, params={**ok, "account_id": "someone-else"}, auth=(cfg.client_id, cfg.client_secret))
    assert (r.status_code, r.json()) == (400, {"reason": "Invalid account_id", "error": "invalid_request"})
    r = client.post(url, params={**ok, "grant_type": "client_credentials"}, auth=(cfg.client_id, cfg.client_secret))
    assert (r.status_code, r.json()) == (400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"})


def test_bearer_token_errors_and_expiry(client):
    clock = Clock()
    with make(now=clock, token_ttl=60) as e:
        assert_error(client.get(f"{e.api_url}/report/activities"), 401, 124, "Invalid access token.")
        assert_error(get(client, e, "activities", "not-a-token"), 401, 124, "Invalid access token.")
        tok = fetch_token(client, e)
        assert get(client, e, "activities", tok).status_code == 200
        clock.advance(61)
        assert_error(get(client, e, "activities", tok), 401, 124, "Access token is expired.")
        assert get(client, e, "activities", fetch_token(client, e)).status_code == 200


def test_scope_error_4711(client):
    with make(scopes=("report:read:user_activities:admin",)) as e:
        tok = fetch_token(client, e)
        assert get(client, e, "activities", tok).status_code == 200
        r = get(client, e, "operationlogs", tok, **{"from": TODAY.isoformat(), "to": TODAY.isoformat()})
        assert_error(
            r,
            400,
            4711,
            "Invalid access token, does not contain scopes:[report:read:operation_logs:admin, report:read:admin].",
        )
    with make(scopes=("report:read:operation_logs:admin",)) as e:
        tok = fetch_token(client, e)
        body = assert_error(get(client, e, "activities", tok), 400, 4711)
        assert "report:read:user_activities:admin" in body["message"]


# ---- report bodies, order, pagination ------------------------------------------------


def test_body_shapes(emu, client):
    tok = fetch_token(client, emu)
    r = get(client, emu, "activities", tok, page_size=5)  # from/to default to today
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.headers["x-zm-trackingid"]
    body = r.json()
    assert list(body) == ["from", "to", "page_size", "next_page_token", "activity_logs"]
    assert body["from"] == body["to"] == TODAY.isoformat() and body["page_size"] == 5
    assert len(body["activity_logs"]) == 5
    for rec in body["activity_logs"]:
        assert list(rec) == ACTIVITY_KEYS
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rec["time"])
        assert rec["type"] in ("Sign in", "Sign out")
        assert rec["client_type"] in ("Browser", "win", "mac", "iPhone", "android", "linux", "iPad")
        assert (rec["version"] == "-") == (rec["client_type"] == "Browser")
        assert rec["email"].endswith("@example.com")

    since = TODAY - timedelta(days=3)
    r = get(client, emu, "operationlogs", tok, **{"from": since.isoformat(), "to": TODAY.isoformat()})
    body = r.json()
    assert list(body) == ["from", "to", "page_size", "next_page_token", "operation_logs"]
    assert body["page_size"] == 30 and len(body["operation_logs"]) == 30  # default page size
    assert all(list(rec) == OPERATION_KEYS for rec in body["operation_logs"])
    # page_size above 300 is served as 300.
    r = get(client, emu, "operationlogs", tok, page_size=1000, **{"from": since.isoformat(), "to": TODAY.isoformat()})
    assert r.json()["page_size"] == 300 and len(r.json()["operation_logs"]) == 300


def test_newest_first_pagination_to_inclusive_and_truth(emu, client):
    tok = fetch_token(client, emu)
    since, until = TODAY - timedelta(days=6), TODAY - timedelta(days=1)
    for endpoint, kind in (("activities", "activity"), ("operationlogs", "operation")):
        records, pages = read_all(client, emu, endpoint, tok, since, until, page_size=100)
        assert pages > 3
        times = [r["time"] for r in records]
        assert times == sorted(times, reverse=True)  # newest first
        days = {t[:10] for t in times}
        assert until.isoformat() in days and since.isoformat() in days  # `to` is inclusive
        assert days <= {(since + timedelta(days=i)).isoformat() for i in range(6)}
        truth = emu.truth(kind, since, until)
        assert records == truth  # same dicts, same order, nothing lost or doubled
        key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
        assert Counter(map(key, records)) == Counter(map(key, truth))
    # A one-day window holds exactly that day, including its last second.
    day = TODAY - timedelta(days=2)
    one, _ = read_all(client, emu, "activities", tok, day, day)
    assert {r["time"][:10] for r in one} == {day.isoformat()}


def test_oldest_first_pagination(client):
    with make(oldest_first=True, operation_per_day=150) as e:
        tok = fetch_token(client, e)
        since, until = TODAY - timedelta(days=6), TODAY - timedelta(days=1)
        for endpoint, kind in (("activities", "activity"), ("operationlogs", "operation")):
            records, pages = read_all(client, e, endpoint, tok, since, until, page_size=100)
            assert pages > 3
            truth = e.truth(kind, since, until)  # still newest first: the same multiset
            assert truth[0]["time"] > truth[-1]["time"]
            # Oldest first across pages and days; a second's records keep store order (a stable sort).
            assert records == sorted(truth, key=lambda r: r["time"])
        users, _ = read_all(client, e, "operationlogs", tok, since, until, page_size=7, category_type="user")
        assert users and [r["time"] for r in users] == sorted(r["time"] for r in users)

        # Five records of one second, paged three at a time: the second straddles a page boundary.
        day = TODAY - timedelta(days=2)
        base = e.truth("activity", day, day)[10]
        e.add_records("activity", [dict(base, email=f"twin{i}@example.com") for i in range(5)])
        truth = e.truth("activity", day, day)
        served, _ = read_all(client, e, "activities", tok, day, day, page_size=3)
        assert served == sorted(truth, key=lambda r: r["time"])
        same = [r["email"] for r in served if r["time"] == base["time"]]
        assert same == [r["email"] for r in truth if r["time"] == base["time"]]
        assert same[-5:] == [f"twin{i}@example.com" for i in range(5)]

        e.config.oldest_first = False  # read live
        assert read_all(client, e, "activities", tok, day, day, page_size=3)[0] == truth


def test_category_filter(emu, client):
    tok = fetch_token(client, emu)
    since = TODAY - timedelta(days=10)
    users, _ = read_all(client, emu, "operationlogs", tok, since, TODAY, category_type="user")
    assert users and {r["category_type"] for r in users} <= {"User", "user"}
    rooms, _ = read_all(client, emu, "operationlogs", tok, since, TODAY, category_type="zoom_rooms")
    assert rooms and {r["category_type"] for r in rooms} == {"Zoom Rooms"}
    everything, _ = read_all(client, emu, "operationlogs", tok, since, TODAY, category_type="all")
    assert len(everything) == len(emu.truth("operation", since, TODAY))
    r = get(
        client,
        emu,
        "operationlogs",
        tok,
        category_type="nonsense",
        **{"from": since.isoformat(), "to": TODAY.isoformat()},
    )
    assert_error(r, 400, 300)


def test_date_errors(emu, client):
    tok = fetch_token(client, emu)

    def call(endpoint="activities", **params):
        return get(client, emu, endpoint, tok, **params)

    start = TODAY - timedelta(days=40)
    ok_end = add_months(start, 1)
    assert call(**{"from": start.isoformat(), "to": ok_end.isoformat()}).status_code == 200
    assert_error(call(**{"from": start.isoformat(), "to": (ok_end + timedelta(days=1)).isoformat()}), 400, 300)
    # Month arithmetic clamps: Jan 31 + 1 month = Feb 28 (2026).
    assert call(**{"from": "2026-01-31", "to": "2026-02-28"}).status_code == 200
    assert_error(call(**{"from": "2026-01-31", "to": "2026-03-01"}), 400, 300)
    oldest = add_months(TODAY, -6)
    assert call(**{"from": oldest.isoformat(), "to": oldest.isoformat()}).status_code == 200
    old = oldest - timedelta(days=1)
    assert_error(call(**{"from": old.isoformat(), "to": old.isoformat()}), 400, 300)
    assert_error(call(**{"from": "2026/03/01", "to": "2026-03-02"}), 400, 300)
    assert_error(call(**{"from": "2026-03-10", "to": "2026-03-09"}), 400, 300)
    assert_error(call("operationlogs"), 400, 300)  # from and to are required there


def test_page_token_expired_mismatched_and_forged(client):
    clock = Clock()
    with make(now=clock, page_token_ttl=900) as e:
        tok = fetch_token(client, e)
        window = {"from": (TODAY - timedelta(days=5)).isoformat(), "to": TODAY.isoformat()}
        first = get(client, e, "activities", tok, page_size=10, **window).json()
        page_token = first["next_page_token"]
        assert page_token
        msg = "The next page token is invalid or expired."
        other = {"from": (TODAY - timedelta(days=4)).isoformat(), "to": TODAY.isoformat()}
        assert_error(get(client, e, "activities", tok, next_page_token=page_token, **other), 400, 300, msg)
        assert_error(get(client, e, "operationlogs", tok, next_page_token=page_token, **window), 400, 300, msg)
        forged = page_token[:-3] + ("AAA" if not page_token.endswith("AAA") else "BBB")
        assert_error(get(client, e, "activities", tok, next_page_token=forged, **window), 400, 300, msg)
        clock.advance(600)
        assert get(client, e, "activities", tok, next_page_token=page_token, **window).status_code == 200
        clock.advance(301)  # now older than 15 minutes
        assert_error(get(client, e, "activities", tok, next_page_token=page_token, **window), 400, 300, msg)


def test_arrivals_shift_pages(client):
    with make(arrivals_per_request=3) as e:
        tok = fetch_token(client, e)
        day = {"from": TODAY.isoformat(), "to": TODAY.isoformat(), "page_size": 10}
        p1 = get(client, e, "activities", tok, **day).json()
        p2 = get(client, e, "activities", tok, next_page_token=p1["next_page_token"], **day).json()
        # Three records arrived at the head before page 2 was cut: page 1's tail comes back.
        assert p2["activity_logs"][:3] == p1["activity_logs"][-3:]
        assert all(r["time"] == "2026-03-18T12:00:00Z" for r in p1["activity_logs"][:3])
        ops = get(client, e, "operationlogs", tok, **day).json()["operation_logs"]
        assert [r["time"] for r in ops[:3]] == ["2026-03-18T12:00:00Z"] * 3


def test_visibility_follows_the_clock_and_add_records(client):
    clock = Clock()
    with make(now=clock) as e:
        before = e.truth("activity", TODAY, TODAY)
        assert before and all(r["time"] <= "2026-03-18T12:00:00Z" for r in before)
        clock.advance(6 * 3600)
        later = e.truth("activity", TODAY, TODAY)
        assert len(later) > len(before) and later[-len(before) :] == before

        # A late record with an old time, and one sharing a second with an existing record.
        day = TODAY - timedelta(days=3)
        existing = e.truth("activity", day, day)[5]
        late = {
            "email": "late.comer@example.com",
            "time": f"{day.isoformat()}T10:00:00Z",
            "type": "Sign in",
            "ip_address": "198.51.100.7",
            "client_type": "win",
            "version": "5.17.5.31030",
        }
        twin = dict(existing, email="same.second@example.com")
        e.add_records("activity", [late, twin])
        truth = e.truth("activity", day, day)
        assert late in truth
        same = [r for r in truth if r["time"] == existing["time"]]
        assert same[-1] == twin  # store order: added after the records already at that second
        tok = fetch_token(client, e)
        served, _ = read_all(client, e, "activities", tok, day, day)
        assert served == truth


# ---- faults ------------------------------------------------------------------------


def test_fault_429_qps_and_daily(client):
    with make() as e:
        tok = fetch_token(client, e)
        e.inject("429_qps")
        r = get(client, e, "activities", tok)
        assert_error(r, 429, 429, "You have reached the maximum per-second rate limit for this API. Try again later.")
        assert r.headers["X-RateLimit-Type"] == "QPS" and r.headers["Retry-After"] == "1"
        assert r.headers["X-RateLimit-Category"] == "Heavy"
        assert "X-RateLimit-Limit" in r.headers and r.headers["X-RateLimit-Remaining"] == "0"
        e.inject("429_qps", retry_after=5)
        assert get(client, e, "activities", tok).headers["Retry-After"] == "5"
        e.inject("429_daily", count=2)
        for _ in range(2):
            r = get(client, e, "activities", tok)
            body = assert_error(r, 429, 429)
            assert body["message"].startswith("You have reached the maximum daily rate limit for this API")
            assert r.headers["X-RateLimit-Type"] == "Daily-limit"
            assert r.headers["Retry-After"] == "2026-03-18T12:00:02Z"  # ISO timestamp, not seconds
        e.inject("429_daily", retry_after_at=datetime(2026, 3, 19, tzinfo=UTC))
        assert get(client, e, "activities", tok).headers["Retry-After"] == "2026-03-19T00:00:00Z"
        assert get(client, e, "activities", tok).status_code == 200  # queue drained
        assert e.stats["status"][429] == 5


def test_fault_server_errors_slow_and_nonjson(client):
    with make() as e:
        tok = fetch_token(client, e)
        e.inject("500")
        e.inject("503")
        assert get(client, e, "activities", tok).status_code == 500
        assert get(client, e, "activities", tok).status_code == 503
        e.inject("slow", delay=0.4)
        started = time.monotonic()
        assert get(client, e, "activities", tok).status_code == 200
        assert time.monotonic() - started >= 0.4
        e.inject("nonjson")
        r = get(client, e, "activities", tok)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "Bad Gateway" in r.text
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.text)
        # The token endpoint is left alone unless asked.
        e.inject("500", target="token")
        assert get(client, e, "activities", tok).status_code == 200
        r = client.post(
            e.token_url,
            params={"grant_type": "account_credentials", "account_id": e.config.account_id},
            auth=(e.config.client_id, e.config.client_secret),
        )
        assert r.status_code == 500


def test_fault_reset_and_truncated(client):
    with make() as e:
        tok = fetch_token(client, e)
        e.inject("reset")
        with pytest.raises(httpx.TransportError):
            get(client, e, "activities", tok)
        e.inject("truncated")
        with pytest.raises(httpx.RemoteProtocolError):
            get(client, e, "activities", tok, page_size=300, **{"from": (TODAY - timedelta(days=5)).isoformat()})
        assert get(client, e, "activities", tok).status_code == 200  # the next connection is fine
        stats = e.stats
        assert stats["resets"] == 1 and stats["truncated"] == 1


def test_fault_wrong_shape(client):
    with make() as e:
        tok = fetch_token(client, e)
        window = {"from": (TODAY - timedelta(days=3)).isoformat(), "to": TODAY.isoformat(), "page_size": 10}
        first = get(client, e, "activities", tok, **window).json()
        page2 = {**window, "next_page_token": first["next_page_token"]}
        real = get(client, e, "activities", tok, **page2).json()  # the clock stands still: same token
        logs = real["activity_logs"]
        assert real["next_page_token"] and len(logs) == 10
        expected = {
            "data_string": {"data": "x"},
            "no_records": {k: v for k, v in real.items() if k != "activity_logs"},
            "records_not_list": {**real, "activity_logs": "x"},
            "record_not_object": {**real, "activity_logs": logs[:1] + ["x", 1, None] + logs[1:]},
            "token_not_string": {**real, "next_page_token": 12345},
            "not_object": [],
        }
        for shape, body in expected.items():
            e.inject("wrong_shape", shape=shape)
            r = get(client, e, "activities", tok, **page2)
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
            assert json.loads(r.content) == body, shape
            assert get(client, e, "activities", tok, **page2).json() == real  # the retry gets the real page
        assert list(expected["no_records"]) == ["from", "to", "page_size", "next_page_token"]

        e.inject("wrong_shape", count=2)  # data_string by default
        assert [get(client, e, "activities", tok).json() for _ in range(2)] == [{"data": "x"}] * 2
        e.inject("wrong_shape", shape="records_not_list", target="operationlogs")
        assert get(client, e, "activities", tok).json()["activity_logs"] != "x"
        ops = get(client, e, "operationlogs", tok, **window).json()
        assert ops["operation_logs"] == "x" and ops["next_page_token"]
        stats = e.stats
        assert stats["faults"] == 9 and stats["status"] == {200: stats["report_requests"] + 1}

        with pytest.raises(
            ValueError,
            match="data_string.*no_records.*records_not_list.*record_not_object.*token_not_string.*not_object",
        ):
            e.inject("wrong_shape", shape="data_number")
        with pytest.raises(ValueError):
            e.inject("wrong_shape", target="token")


def _stream(c: httpx.Client, e: Emulator, token: str, **params) -> tuple[int, int, bytes]:
    """Status, Content-Length and the body bytes that arrived before the server hung up."""
    got = b""
    with c.stream(
        "GET", f"{e.api_url}/report/activities", params=params, headers={"Authorization": f"Bearer {token}"}
    ) as r:
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in r.iter_raw():
                got += chunk
        return r.status_code, int(r.headers["content-length"]), got


def test_fault_truncate_last_page(client):
    with make() as e:
        tok = fetch_token(client, e)
        window = {"from": (TODAY - timedelta(days=3)).isoformat(), "to": TODAY.isoformat(), "page_size": 100}
        # A clean read first: every page token, and the exact bytes of the last page.
        tokens, body = [""], get(client, e, "activities", tok, **window).json()
        while body["next_page_token"]:
            tokens.append(body["next_page_token"])
            body = get(client, e, "activities", tok, next_page_token=tokens[-1], **window).json()
        assert len(tokens) > 2
        last = {**window, "next_page_token": tokens[-1]}
        full = get(client, e, "activities", tok, **last).content

        e.inject("truncate_last_page", target="activities")
        for page_token in tokens[:-1]:  # pages that are not the last pass untouched
            r = get(client, e, "activities", tok, **window, **({"next_page_token": page_token} if page_token else {}))
            assert r.status_code == 200 and r.json()["next_page_token"]
        one_page = {"from": TODAY.isoformat(), "to": TODAY.isoformat(), "page_size": 300}
        ops = get(client, e, "operationlogs", tok, **one_page)  # a last page, but not the target
        assert ops.status_code == 200 and ops.json()["next_page_token"] == ""
        assert e.stats["faults"] == 0 and e.stats["truncated"] == 0  # still queued

        status, length, got = _stream(client, e, tok, **last)
        assert (status, length) == (200, len(full)) and got == full[: len(full) // 2]
        retry = get(client, e, "activities", tok, **last)  # the fault is spent: the whole page
        assert retry.status_code == 200 and retry.content == full

        # A one-page window: its first page is its last.
        e.inject("truncate_last_page")
        status, length, got = _stream(client, e, tok, **one_page)
        assert status == 200 and len(got) == length // 2
        stats = e.stats
        assert stats["faults"] == 2 and stats["truncated"] == 2
        for target in ("token", "any"):
            with pytest.raises(ValueError):
                e.inject("truncate_last_page", target=target)


def test_fault_expire_access_token(client):
    with make() as e:
        tok = fetch_token(client, e)
        e.inject("expire_access_token")
        assert_error(get(client, e, "activities", tok), 401, 124, "Access token is expired.")
        assert_error(get(client, e, "activities", tok), 401, 124, "Access token is expired.")
        assert get(client, e, "activities", fetch_token(client, e)).status_code == 200
        # Several expiries hit one token after another; a replacement token is honoured once first,
        # as Zoom never expires a token at its first use.
        e.inject("expire_access_token", count=2)
        first = fetch_token(client, e)
        assert get(client, e, "activities", first).status_code == 200
        assert_error(get(client, e, "activities", first), 401, 124, "Access token is expired.")
        second = fetch_token(client, e)
        assert get(client, e, "activities", second).status_code == 200
        assert_error(get(client, e, "activities", second), 401, 124, "Access token is expired.")
        third = fetch_token(client, e)
        assert [get(client, e, "activities", third).status_code for _ in range(3)] == [200, 200, 200]


def test_live_knobs(client):
    with make(arrivals_per_request=2) as e:
        tok = fetch_token(client, e)
        before = len(e.truth("activity", TODAY, TODAY))
        get(client, e, "activities", tok)
        assert len(e.truth("activity", TODAY, TODAY)) == before + 2
        e.config.arrivals_per_request = 0
        e.config.qps_limit = 1
        get(client, e, "activities", tok)
        assert len(e.truth("activity", TODAY, TODAY)) == before + 2
        assert get(client, e, "activities", tok).status_code == 429


def test_fault_expire_page_token(client):
    with make() as e:
        tok = fetch_token(client, e)
        window = {"from": (TODAY - timedelta(days=3)).isoformat(), "to": TODAY.isoformat(), "page_size": 10}
        e.inject("expire_page_token")
        first = get(client, e, "activities", tok, **window)  # no page token: not affected
        assert first.status_code == 200
        page_token = first.json()["next_page_token"]
        assert_error(
            get(client, e, "activities", tok, next_page_token=page_token, **window),
            400,
            300,
            "The next page token is invalid or expired.",
        )
        assert get(client, e, "activities", tok, next_page_token=page_token, **window).status_code == 200


def test_fault_revoke(client):
    with make() as e:
        tok = fetch_token(client, e)
        e.inject("revoke")
        assert_error(get(client, e, "activities", tok), 401, 124)
        r = client.post(
            e.token_url,
            params={"grant_type": "account_credentials", "account_id": e.config.account_id},
            auth=(e.config.client_id, e.config.client_secret),
        )
        assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client"
        e.clear_faults()
        assert get(client, e, "activities", fetch_token(client, e)).status_code == 200


def test_unknown_fault_kind_is_refused():
    e = make()
    with pytest.raises(ValueError):
        e.inject("gremlins")


# ---- rate limits -------------------------------------------------------------------


@pytest.mark.parametrize("lowercase", [False, True])
@pytest.mark.slow
def test_qps_limit(client, lowercase):
    with make(qps_limit=2, lowercase_headers=lowercase) as e:
        tok = fetch_token(client, e)
        statuses = [get(client, e, "activities", tok) for _ in range(3)]
        assert [r.status_code for r in statuses[:2]] == [200, 200]
        r = statuses[2]
        assert_error(r, 429, 429)
        names = {k.decode() for k, _ in r.headers.raw}
        wanted = {
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Category",
            "X-RateLimit-Type",
            "Retry-After",
        }
        assert (wanted if not lowercase else {n.lower() for n in wanted}) <= names
        assert r.headers["x-ratelimit-type"] == "QPS" and r.headers["x-ratelimit-limit"] == "2"
        assert int(r.headers["retry-after"]) >= 1
        time.sleep(1.05)
        assert get(client, e, "activities", tok).status_code == 200


def test_daily_limit_without_retry_after(client):
    clock = Clock()
    with make(now=clock, daily_limit=3, retry_after=False) as e:
        tok = fetch_token(client, e)
        remaining = [get(client, e, "activities", tok).headers["X-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        r = get(client, e, "activities", tok)
        assert_error(r, 429, 429)
        assert r.headers["X-RateLimit-Type"] == "Daily-limit" and "Retry-After" not in r.headers
        clock.now = datetime(2026, 3, 19, 0, 0, 1, tzinfo=UTC)  # the cap resets at 00:00 UTC
        assert get(client, e, "activities", fetch_token(client, e)).status_code == 200


def test_daily_limit_retry_after_is_next_midnight(client):
    with make(daily_limit=1) as e:
        tok = fetch_token(client, e)
        assert get(client, e, "activities", tok).status_code == 200
        r = get(client, e, "activities", tok)
        assert r.status_code == 429 and r.headers["Retry-After"] == "2026-03-19T00:00:00Z"


# ---- the generated account ---------------------------------------------------------


def test_determinism_across_emulators():
    a, b = make(seed=11), make(seed=11)
    days = [TODAY - timedelta(days=i) for i in (1, 30, 90, 150)]
    for kind in ("activity", "operation"):
        # Different access order: b builds the days oldest first.
        got_b = {d: b.truth(kind, d, d) for d in reversed(days)}
        for d in days:
            assert a.truth(kind, d, d) == got_b[d]
    assert make(seed=12).truth("activity", days[0], days[0]) != a.truth("activity", days[0], days[0])


def test_repeats_midnight_and_addresses(emu):
    since = TODAY - timedelta(days=30)
    for kind in ("activity", "operation"):
        records = emu.truth(kind, since, TODAY - timedelta(days=1))
        repeats = sum(1 for x, y in zip(records, records[1:]) if x == y)
        assert repeats >= 3  # exact true repeats, same second and fields, both served
        times = {r["time"][11:] for r in records}
        assert "00:00:00Z" in times and "23:59:59Z" in times
    activity = emu.truth("activity", since, TODAY)
    rate = sum(1 for x, y in zip(activity, activity[1:]) if x == y) / len(activity)
    assert 0.002 < rate < 0.03
    for rec in activity:
        ip = ipaddress.ip_address(rec["ip_address"])
        assert any(ip in net for net in DOC_NETS if net.version == ip.version)
        assert geo.lookup(rec["ip_address"]) is not None
    assert any(":" in r["ip_address"] for r in activity) and len({r["email"] for r in activity}) > 20
    assert len(activity) / 31 == pytest.approx(120, rel=0.3)


def test_every_operation_detail_shape(emu):
    ops = emu.truth("operation", TODAY - timedelta(days=30), TODAY)
    details = [r["operation_detail"] for r in ops]

    def has(pattern):
        return any(re.search(pattern, d) for d in details)

    assert has(r"^[A-Za-z][\w ()-]*\S  - [^:]+: from On to Off$")  # Section  - Setting: from On to Off
    assert has(r"Have at least specified length of characters: from \d+ to \d+ - ")  # numeric, several changes
    assert has(r"^Quality Settings - Audio  - ")  # hyphen in the section name
    assert has(r"Sign-In") and has(r"Co-Owner")  # hyphens inside values
    assert has(r": set to  - ")  # empty "set to" value
    assert has(r": set to \w")
    assert has(r"^Activate User \S+@\S+ $") and has(r"^Deactivate User \S+@\S+ $")  # trailing space
    assert has(r"^Edit Group [^-]+ $")  # no change list
    assert has(r"^Add Group ")
    assert has(r"^Change Role  - \S+@\S+: from (Member|User) to (Admin|Co-Owner|Billing Admin|Owner)$")
    assert has(r"^Update User \S+  - User Role: from Member to Admin$")
    assert has(r"^Add User \S+  - User Type: \w+ - Department: ")
    assert has(r"^Delete User \S+ $")
    assert has(r"^Update a Channel .+  - Cloud Storage Retention: set to  - Name: from ")
    assert has(r"^Assign admin for channel ")
    categories = {r["category_type"] for r in ops}
    assert {
        "Account",
        "User",
        "User Group",
        "Zoom Rooms",
        "Recording",
        "Role",
        "Channels",
        "Billing",
        "User Settings",
    } <= categories
    actions = {r["action"] for r in ops}
    assert {"Update", "Add", "Delete", "Batch Update", "SCIM API - Update"} <= actions
    assert any(r["category_type"] == "Recording" and r["action"] == "Delete" for r in ops)
    lower = [r for r in ops if r["category_type"] == "user"]
    assert lower and all(r["action"] == "delete" and r["operation_detail"].startswith("delete user - ") for r in lower)
    assert any("+" in r["operator"] for r in ops)  # an operator address that needs careful parsing


def test_evicted_days_regenerate_identically():
    from emulator.dataset import Generator
    from emulator.store import RecordStore

    gen = Generator(EmulatorConfig(seed=5))
    first = TODAY - timedelta(days=80)
    store = RecordStore("activity", lambda d: gen.day("activity", d), first, max_cached_records=1)
    now_ts = int(NOW.timestamp())
    before = store.truth(first, first, now_ts)
    for i in range(1, 80):  # push the first day out of the cache
        store.truth(first + timedelta(days=i), first + timedelta(days=i), now_ts)
    assert store.counters()["generated_days"] == 80
    assert store.truth(first, first, now_ts) == before
    assert store.counters()["generated_days"] == 81


def test_geo_table_covers_documentation_space_only():
    seen = set()
    for block in geo.GEO_BLOCKS:
        net = ipaddress.ip_network(block.network)
        assert any(net.subnet_of(doc) for doc in DOC_NETS if doc.version == net.version)
        assert -90 <= block.latitude <= 90 and -180 <= block.longitude <= 180
        assert 64496 <= block.asn <= 64511
        seen.add(block.city)
    assert {"New York", "London", "Frankfurt", "Tokyo", "São Paulo", "Sydney", "Mumbai", "Lagos"} <= seen
    assert geo.lookup("192.0.2.70").city == "San Francisco"
    assert geo.lookup("8.8.8.8") is None and geo.lookup("not an ip") is None


# ---- housekeeping ------------------------------------------------------------------


def test_stats_and_lifecycle(client):
    e = make()
    with pytest.raises(RuntimeError):
        _ = e.port
    with e:
        assert e.api_url == e.base_url + "/v2" and e.token_url == e.base_url + "/oauth/token"
        tok = fetch_token(client, e)
        get(client, e, "activities", tok)
        assert client.get(e.base_url + "/nowhere").status_code == 404
        stats = e.stats
        assert stats["requests"] == 3 and stats["report_requests"] == 1 and stats["token_requests"] == 1
        assert stats["status"] == {200: 2, 404: 1}
        assert stats["paths"]["/v2/report/activities"] == 1
        base = e.base_url
    with pytest.raises(httpx.ConnectError):  # stopped means stopped
        client.get(base + "/v2/report/activities")


def test_cli_arguments_and_serve_forever():
    import argparse

    from emulator.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = [
        "--port",
        "0",
        "--seed",
        "3",
        "--qps-limit",
        "10",
        "--lowercase-headers",
        "--no-retry-after",
        "--arrivals-per-request",
        "2",
        "--oldest-first",
    ]
    cfg = config_from_args(parser.parse_args(argv))
    assert (
        cfg.seed,
        cfg.qps_limit,
        cfg.lowercase_headers,
        cfg.retry_after,
        cfg.arrivals_per_request,
        cfg.oldest_first,
    ) == (3, 10, True, False, 2, True)
    assert config_from_args(parser.parse_args([])).oldest_first is False

    root = Path(__file__).resolve().parents[1]
    code = "import sys; from emulator.cli import main; sys.exit(main(['--port', '0']))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=root,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        line = proc.stderr.readline()
        url = re.search(r"ZOOM_API_URL=(\S+)", line).group(1)
        for name in (
            "ZOOM_OAUTH_TOKEN_URL=",
            "ZOOM_ACCOUNT_ID=emulator-account",
            "ZOOM_CLIENT_ID=emulator-client",
            "ZOOM_CLIENT_SECRET",
            "emulator-secret",
        ):
            assert name in line
        with httpx.Client() as c:
            assert c.get(url + "/report/activities").status_code == 401
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        rest = proc.stderr.read()
        assert rest == "" and "Traceback" not in line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


# ---- meeting activities (docs/meeting-activity.md) -------------------------------------

MEETING_KEYS = ["meeting_number", "activity_time", "operator", "operator_email", "activity_category", "activity_detail"]
MEETING_CATEGORIES = {
    "Meeting created",
    "Meeting started",
    "Meeting Started",
    "User joined",
    "User left",
    "Remote control",
    "In-meeting chat",
    "Meeting ended",
}
# The contract's detail wordings, which the pipeline parses exactly: name -> (category, pattern).
_NAME = r"(?P<name>.+)"
DETAILS = {
    "meeting created": r"Meeting created",
    "meeting started": r"Meeting started",
    "meeting ended": r"Meeting ended",
    "user joined": _NAME + r" joined the meeting(?P<phone> by phone)?",
    "user left": _NAME + r" left the meeting",
    "in-meeting chat": _NAME + r" sent a chat message",
    "remote control": _NAME + r" (?P<action>requested|started|stopped) remote control of (?P<target>.+)'s screen",
}
DIAL_IN = re.compile(r"\+\d{1,3} \d{1,3}\*\*\*\d{4}|Call-in user \d+")


def meeting_window(since, until, activity_type="All Activities", **extra) -> dict:
    return {"from": since.isoformat(), "to": until.isoformat(), "activity_type": activity_type, **extra}


def read_meetings(c, e, token, since, until, page_size=300, **extra):
    return read_all(c, e, "meeting_activities", token, since, until, page_size, activity_type="All Activities", **extra)


def ms_of(record: dict) -> int:
    from emulator.meetings import parse_ms

    return parse_ms(record["activity_time"])


def test_meeting_activities_shape_order_and_paging(emu, client):
    tok = fetch_token(client, emu)
    since, until = TODAY - timedelta(days=4), TODAY - timedelta(days=1)
    r = get(client, emu, "meeting_activities", tok, **meeting_window(since, until))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["meeting_activity_logs", "next_page_token", "page_size"]  # no from/to echo
    assert body["page_size"] == 30 and len(body["meeting_activity_logs"]) == 30 and body["next_page_token"]
    big = get(client, emu, "meeting_activities", tok, page_size=1000, **meeting_window(since, until)).json()
    assert big["page_size"] == 300 and len(big["meeting_activity_logs"]) == 300
    assert_error(get(client, emu, "meeting_activities", tok, page_size=0, **meeting_window(since, until)), 400, 300)

    records, pages = read_meetings(client, emu, tok, since, until, page_size=100)
    assert pages > 3
    assert records == emu.truth("meeting_activity", since, until)  # nothing lost or doubled, same order
    for rec in records:
        assert list(rec) == MEETING_KEYS and all(isinstance(v, str) for v in rec.values())
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}", rec["activity_time"])
        assert re.fullmatch(r"\d{3} \d{3} \d{4}|\d{3} \d{4} \d{4}", rec["meeting_number"])
        assert rec["activity_category"] in MEETING_CATEGORIES
    stamps = [ms_of(r) for r in records]
    assert stamps == sorted(stamps, reverse=True)  # newest first to the millisecond
    # Millisecond order is not string order of whole seconds: several records share a second.
    seconds = Counter(r["activity_time"][:19] for r in records)
    assert max(seconds.values()) > 1
    assert {r["activity_time"][:10] for r in records} == {(since + timedelta(days=i)).isoformat() for i in range(4)}


def test_meeting_activities_refusals(emu, client):
    tok = fetch_token(client, emu)

    def call(**params):
        return get(client, emu, "meeting_activities", tok, **params)

    day = (TODAY - timedelta(days=2)).isoformat()
    ok = {"from": day, "to": day, "activity_type": "All Activities"}
    assert call(**ok).status_code == 200
    required = "The from and to dates are required."
    assert_error(call(activity_type="All Activities"), 400, 300, required)
    assert_error(call(**{"from": day, "activity_type": "All Activities"}), 400, 300, required)
    assert_error(call(**{**ok, "from": "2026/03/01"}), 400, 300)
    assert_error(call(**{**ok, "to": "20260317"}), 400, 300)
    start = TODAY - timedelta(days=40)
    month = {**ok, "from": start.isoformat(), "to": add_months(start, 1).isoformat()}
    assert call(**month).status_code == 200
    too_long = {**month, "to": (add_months(start, 1) + timedelta(days=1)).isoformat()}
    assert_error(call(**too_long), 400, 300, "The date range cannot exceed one month.")
    assert_error(call(**{"from": day, "to": day}), 400, 300, "The activity_type is required.")
    assert_error(call(**{**ok, "activity_type": ""}), 400, 300, "The activity_type is required.")
    assert_error(call(**{**ok, "activity_type": "Screen Share"}), 400, 300, "Invalid activity_type: Screen Share.")
    assert_error(call(**{**ok, "activity_type": "6"}), 400, 300)
    assert_error(call(**{**ok, "meeting_number": "982 610 0285"}), 400, 300)  # digits without spaces
    assert_error(call(**{**ok, "meeting_number": "98261O0285"}), 400, 300)


def test_meeting_activity_type_names_codes_and_case(emu, client):
    tok = fetch_token(client, emu)
    since, until = TODAY - timedelta(days=7), TODAY - timedelta(days=1)
    everything, _ = read_meetings(client, emu, tok, since, until)
    assert read_all(client, emu, "meeting_activities", tok, since, until, activity_type="-1")[0] == everything
    wanted = {
        ("Meeting Created", "0"): {"meeting created"},
        ("Meeting Started", "1"): {"meeting started"},
        ("User Join", "2"): {"user joined"},
        ("User Left", "3"): {"user left"},
        ("Remote Control", "4"): {"remote control"},
        ("In-Meeting Chat", "5"): {"in-meeting chat"},
        ("Meeting Ended", "9"): {"meeting ended"},
    }
    total = 0
    for (name, code), categories in wanted.items():
        by_name, _ = read_all(client, emu, "meeting_activities", tok, since, until, activity_type=name)
        by_code, _ = read_all(client, emu, "meeting_activities", tok, since, until, activity_type=code)
        lower, _ = read_all(client, emu, "meeting_activities", tok, since, until, activity_type=name.lower())
        assert by_name and by_name == by_code == lower
        assert by_name == [r for r in everything if r["activity_category"].lower() in categories]
        total += len(by_name)
    assert total == len(everything)
    # Both spellings of the started category answer to the one filter (category case varies).
    started, _ = read_all(client, emu, "meeting_activities", tok, since, until, activity_type="Meeting Started")
    assert {r["activity_category"] for r in started} == {"Meeting started", "Meeting Started"}


def test_meeting_number_and_search_key_filters(emu, client):
    tok = fetch_token(client, emu)
    since, until = TODAY - timedelta(days=7), TODAY - timedelta(days=1)
    everything, _ = read_meetings(client, emu, tok, since, until)
    number = Counter(r["meeting_number"] for r in everything).most_common(1)[0][0]
    digits = number.replace(" ", "")
    one, _ = read_meetings(client, emu, tok, since, until, meeting_number=digits)
    assert one == [r for r in everything if r["meeting_number"] == number] and len(one) > 3
    assert read_meetings(client, emu, tok, since, until, meeting_number=digits[:-1])[0] == []  # no prefix match

    person = next(r for r in everything if r["operator_email"].endswith("@example.com"))
    by_email, _ = read_meetings(client, emu, tok, since, until, search_key=person["operator_email"].upper())
    assert by_email and all(r["operator_email"] == person["operator_email"] for r in by_email)
    first = person["operator"].split()[0]
    by_name, _ = read_meetings(client, emu, tok, since, until, search_key=first.lower())
    assert by_name == [
        r for r in everything if first.lower() in r["operator"].lower() or first.lower() in r["operator_email"].lower()
    ]
    # The filters combine: a category, a meeting and a person.
    chats, _ = read_all(
        client,
        emu,
        "meeting_activities",
        tok,
        since,
        until,
        activity_type="In-Meeting Chat",
        meeting_number=digits,
        search_key=one[0]["operator"],
    )
    assert chats == [
        r for r in one if r["activity_category"] == "In-meeting chat" and r["operator"] == one[0]["operator"]
    ]


def test_meeting_page_token_expiry_and_changed_parameters(client):
    clock = Clock()
    with make(now=clock, page_token_ttl=900) as e:
        tok = fetch_token(client, e)
        window = meeting_window(TODAY - timedelta(days=3), TODAY, page_size=10)
        page_token = get(client, e, "meeting_activities", tok, **window).json()["next_page_token"]
        assert page_token
        msg = "The next page token is invalid or expired."
        for changed in (
            {"activity_type": "User Join"},
            {"meeting_number": "1234567890"},
            {"search_key": "ada"},
            {"from": (TODAY - timedelta(days=2)).isoformat()},
        ):
            r = get(client, e, "meeting_activities", tok, next_page_token=page_token, **{**window, **changed})
            assert_error(r, 400, 300, msg)
        assert_error(get(client, e, "activities", tok, next_page_token=page_token, **window), 400, 300, msg)
        # A token names the filter, not its spelling: the code of the same activity type is the same filter.
        same = {**window, "activity_type": "-1"}
        assert get(client, e, "meeting_activities", tok, next_page_token=page_token, **same).status_code == 200
        clock.advance(899)
        assert get(client, e, "meeting_activities", tok, next_page_token=page_token, **window).status_code == 200
        clock.advance(2)  # 15 minutes have passed
        assert_error(get(client, e, "meeting_activities", tok, next_page_token=page_token, **window), 400, 300, msg)


def test_meeting_scopes_and_audit_trail_switch(client):
    window = meeting_window(TODAY, TODAY)
    with make(scopes=("report:read:meeting_activity_log:admin",)) as e:
        tok = fetch_token(client, e)
        assert get(client, e, "meeting_activities", tok, **window).status_code == 200
        assert_error(get(client, e, "activities", tok), 400, 4711)
    with make(scopes=("report:read:user_activities:admin", "report:read:operation_logs:admin")) as e:
        tok = fetch_token(client, e)
        assert_error(
            get(client, e, "meeting_activities", tok, **window),
            400,
            4711,
            "Invalid access token, does not contain scopes:[report:read:meeting_activity_log:admin, report:read:admin].",
        )
    with make(meeting_audit_trail=False) as e:
        tok = fetch_token(client, e)
        r = get(client, e, "meeting_activities", tok, **window)
        assert (r.status_code, r.json()) == (400, {"code": 200, "message": "No permission."})
        assert get(client, e, "activities", tok).status_code == 200  # the other reports go on
        assert get(client, e, "operationlogs", tok, **{"from": TODAY.isoformat(), "to": TODAY.isoformat()}).is_success
        e.config.meeting_audit_trail = True  # read live
        assert get(client, e, "meeting_activities", tok, **window).status_code == 200
    with make(meeting_audit_trail=False, scopes=("report:read:operation_logs:admin",)) as e:
        # Without the scope the scope error comes first, as for the other reports.
        assert_error(get(client, e, "meeting_activities", fetch_token(client, e), **window), 400, 4711)


@pytest.mark.slow
def test_meeting_report_shares_the_heavy_rate_limit(client):
    clock = Clock()
    with make(now=clock, qps_limit=2, daily_limit=4) as e:
        tok = fetch_token(client, e)
        window = meeting_window(TODAY, TODAY)
        assert get(client, e, "activities", tok).status_code == 200
        assert get(client, e, "meeting_activities", tok, **window).headers["X-RateLimit-Remaining"] == "2"
        r = get(client, e, "operationlogs", tok, **{"from": TODAY.isoformat(), "to": TODAY.isoformat()})
        assert r.status_code == 429 and r.headers["X-RateLimit-Type"] == "QPS"
        time.sleep(1.05)
        assert get(client, e, "meeting_activities", tok, **window).headers["X-RateLimit-Remaining"] == "1"
        assert get(client, e, "activities", tok).status_code == 200
        r = get(client, e, "meeting_activities", tok, **window)
        assert r.status_code == 429 and r.headers["X-RateLimit-Type"] == "Daily-limit"


def test_meeting_faults(client):
    with make() as e:
        tok = fetch_token(client, e)
        window = meeting_window(TODAY - timedelta(days=2), TODAY, page_size=10)
        e.inject("500", target="meeting_activities")
        assert get(client, e, "activities", tok).status_code == 200  # aimed at the meeting report only
        assert get(client, e, "meeting_activities", tok, **window).status_code == 500
        e.inject("503")  # "report": any of the three
        assert get(client, e, "meeting_activities", tok, **window).status_code == 503
        e.inject("wrong_shape", shape="no_records", target="meeting_activities")
        r = get(client, e, "meeting_activities", tok, **window)
        assert r.status_code == 200 and list(r.json()) == ["next_page_token", "page_size"]
        e.inject("wrong_shape", shape="record_not_object", target="meeting_activities")
        assert get(client, e, "meeting_activities", tok, **window).json()["meeting_activity_logs"][1:4] == [
            "x",
            1,
            None,
        ]
        e.inject("truncated", target="meeting_activities")
        with pytest.raises(httpx.RemoteProtocolError):
            get(client, e, "meeting_activities", tok, **window)
        e.inject("429_qps", target="meeting_activities")
        assert_error(get(client, e, "meeting_activities", tok, **window), 429, 429)
        page_token = get(client, e, "meeting_activities", tok, **window).json()["next_page_token"]
        e.inject("expire_page_token")
        r = get(client, e, "meeting_activities", tok, next_page_token=page_token, **window)
        assert_error(r, 400, 300, "The next page token is invalid or expired.")
        e.inject("truncate_last_page", target="meeting_activities")
        assert get(client, e, "meeting_activities", tok, **window).status_code == 200  # not the last page
        with pytest.raises(httpx.RemoteProtocolError):
            get(client, e, "meeting_activities", tok, **meeting_window(TODAY, TODAY, page_size=300))
        assert e._faults.pending() == 0


def test_meeting_arrivals_while_paging_and_add_records(client):
    clock = Clock()
    with make(now=clock, arrivals_per_request=3) as e:
        tok = fetch_token(client, e)
        window = meeting_window(TODAY, TODAY, page_size=10)
        p1 = get(client, e, "meeting_activities", tok, **window).json()
        p2 = get(client, e, "meeting_activities", tok, next_page_token=p1["next_page_token"], **window).json()
        # Three records arrived at the head before page 2 was cut: page 1's tail comes back.
        assert p2["meeting_activity_logs"][:3] == p1["meeting_activity_logs"][-3:]
        assert [r["activity_time"] for r in p1["meeting_activity_logs"][:3]] == ["2026-03-18 12:00:00:000"] * 3
        assert all(
            re.fullmatch(DETAILS[r["activity_category"].lower()], r["activity_detail"])
            for r in p1["meeting_activity_logs"][:3]
        )
    with make(now=clock) as e:
        day = TODAY - timedelta(days=1)
        before = e.truth("meeting_activity", day, day)
        late = dict(
            before[5],
            activity_detail=before[5]["operator"] + " sent a chat message",
            activity_category="In-meeting chat",
        )
        e.add_records("meeting_activities", [late, late])
        after = e.truth("meeting_activity", day, day)
        assert len(after) == len(before) + 2 and [ms_of(r) for r in after] == sorted(map(ms_of, after), reverse=True)
        with pytest.raises(ValueError):
            e.add_records("meeting_activity", [dict(late, activity_time="2026-03-17T10:00:00Z")])
        with pytest.raises(ValueError):
            e.add_records("meeting_activity", [{"operator": "x"}])


def test_meeting_records_are_realistic_and_worded_as_the_contract(emu):
    since, until = TODAY - timedelta(days=30), TODAY - timedelta(days=1)
    records = emu.truth("meeting_activity", since, until)
    assert len(records) / 30 == pytest.approx(300, rel=0.4)
    staff = {u.email: u for u in emu._generator.account.users}
    helpdesk = {u.email for u in emu._generator.meetings.helpdesk}
    seen = Counter()
    by_meeting: dict[str, list[dict]] = {}
    for r in records:
        category = r["activity_category"].lower()
        m = re.fullmatch(DETAILS[category], r["activity_detail"])
        assert m, r  # every detail in the contract's exact wording
        by_meeting.setdefault(r["meeting_number"], []).append(r)
        email = r["operator_email"]
        if "name" in m.groupdict():
            assert m["name"] == r["operator"]  # the operator is who joined, left, chatted or took control
        if m.groupdict().get("phone"):
            seen["dial_in"] += 1
            assert email == "" and DIAL_IN.fullmatch(r["operator"])
        elif email == "":
            seen["anonymous"] += 1
        elif email.endswith("@example.com"):
            seen["internal"] += 1
            assert email in staff
        elif email.split("@")[1] in ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "proton.me"):
            seen["webmail"] += 1
        else:
            assert email.split("@")[1].endswith(".example")
            seen["partner"] += 1
        if category == "remote control":
            seen[m["action"]] += 1
            assert email in helpdesk  # the controller: internal IT help desk staff
            target = m["target"]
            assert any(f"{u.first} {u.last}" == target for u in staff.values())
        seen[r["activity_category"]] += 1
    for what in ("dial_in", "anonymous", "internal", "webmail", "partner", "requested", "started", "stopped"):
        assert seen[what] >= 3, (what, seen)
    assert seen["Meeting Started"] and seen["Meeting started"] > 3 * seen["Meeting Started"]
    assert any(DIAL_IN.fullmatch(r["operator"]) and r["operator"].startswith("Call-in user") for r in records)
    assert any(DIAL_IN.fullmatch(r["operator"]) and "***" in r["operator"] for r in records)
    # True repeats: identical records at the same millisecond, both served.
    repeats = [x for x, y in zip(records, records[1:]) if x == y]
    assert len(repeats) >= 3 and any(x["activity_category"] == "In-meeting chat" for x in repeats)
    midnight = created_early = rejoined = 0
    for rows in by_meeting.values():
        rows = rows[::-1]  # oldest first
        days = {r["activity_time"][:10] for r in rows if r["activity_category"] != "Meeting created"}
        midnight += len(days) > 1
        kinds = {r["activity_category"].lower(): r for r in rows}
        if "meeting created" in kinds and "meeting started" in kinds:
            created, started = ms_of(kinds["meeting created"]), ms_of(kinds["meeting started"])
            created_early += started - created > 86_400_000
        joins = Counter(r["operator"] for r in rows if r["activity_category"] == "User joined")
        rejoined += any(n > 1 for n in joins.values())
    assert midnight >= 5 and created_early >= 10 and rejoined >= 5


def test_meetings_are_deterministic_and_leave_the_other_reports_unchanged():
    import hashlib

    import orjson

    from emulator.dataset import Generator

    a, b = make(seed=11), make(seed=11)
    days = [TODAY - timedelta(days=i) for i in (1, 30, 90, 150)]
    got_b = {d: b.truth("meeting_activity", d, d) for d in reversed(days)}  # built in the other order
    for d in days:
        assert a.truth("meeting_activity", d, d) == got_b[d] and got_b[d]
    assert make(seed=12).truth("meeting_activity", days[0], days[0]) != got_b[days[0]]

    # The sign-in and operation records of seed 7 are byte for byte those generated before the
    # meeting report existed (digest taken then), with or without meetings.
    for meetings in (15, 0, 60):
        gen = Generator(EmulatorConfig(seed=7, meetings_per_day=meetings))
        h = hashlib.sha256()
        for kind in ("activity", "operation"):
            for i in range(31):
                for ts, rec in gen.day(kind, datetime(2026, 2, 16).date() + timedelta(days=i)):
                    h.update(orjson.dumps([ts, rec]))
            gen.day("meeting_activity", TODAY)  # drawing meetings in between changes nothing
        for serial in range(5):
            for kind in ("activity", "operation"):
                h.update(orjson.dumps(gen.arrival(kind, 1773835200 + serial, serial)))
        assert h.hexdigest() == "6cf7af97288755349ee4d7cd03d770bc5b3f35ea69d47b9e046deeebe931ad7a"


def test_meeting_cli_flags():
    import argparse

    from emulator.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    cfg = config_from_args(parser.parse_args(["--no-meeting-audit-trail", "--meetings-per-day", "4"]))
    assert (cfg.meeting_audit_trail, cfg.meetings_per_day) == (False, 4)
    assert config_from_args(parser.parse_args([])).meeting_audit_trail is True
    with pytest.raises(ValueError):
        EmulatorConfig(meetings_per_day=-1)


def test_orgsim_source_serves_meeting_days(monkeypatch):
    """The organisation's meeting records (epoch ms, "meeting_activity", record) are served by
    the day of their activity_time, to the millisecond."""
    from types import SimpleNamespace

    from emulator.orgsim import serve

    def record(t):
        return dict(zip(MEETING_KEYS, ("982 610 0285", t, "Jill Chill", "", "Meeting started", "Meeting started")))

    late, early = record("2026-03-16 23:59:59:999"), record("2026-03-17 00:00:00:001")
    sign_in = {"email": "a@example.com", "time": "2026-03-16T23:59:59Z", "type": "Sign in"}
    org = SimpleNamespace(
        records=[
            (1773705599999, "meeting_activity", late),
            (1773705600001, "meeting_activity", early),
            (1773705599000, "activity", sign_in),
        ]
    )
    monkeypatch.setattr(serve, "generate", lambda spec: org)
    source = serve.OrgSource(7, 20, TODAY - timedelta(days=5), 6, False)
    assert source.day("meeting_activity", TODAY - timedelta(days=2)) == [(1773705599999, late)]
    assert source.day("meeting_activity", TODAY - timedelta(days=1)) == [(1773705600001, early)]
    assert source.day("activity", TODAY - timedelta(days=2)) == [(1773705599, sign_in)]


def test_an_account_with_remote_control_off_has_no_remote_control_records():
    """remote_control=False (the demo's account before the intrusion): the help desk never takes control,
    and the rest of the meeting traffic is still there."""
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    days = 14
    since, until = now.date() - timedelta(days=days - 1), now.date()
    on = Emulator(EmulatorConfig(seed=3, history_days=days, now=lambda: now)).truth("meeting_activity", since, until)
    off = Emulator(EmulatorConfig(seed=3, history_days=days, now=lambda: now, remote_control=False)).truth(
        "meeting_activity", since, until
    )
    remote = [r for r in on if r["activity_category"] == "Remote control"]
    assert remote, "the default account's help desk takes remote control"
    assert not [r for r in off if r["activity_category"] == "Remote control"]
    assert len(off) > 0.8 * (len(on) - len(remote))
