"""Client and auth behaviour on every documented answer, with an in-process fake transport."""

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from helpers import RecordingWaiter

from collector.auth import ServerToServerAuth
from collector.client import REPORTS, ZoomClient
from collector.errors import ApiError, AuthError, PageTokenExpired, ScopeError
from collector.retry import Backoff, parse_retry_after, rate_limit_delay

SECRET = "s3cr3t-client-value"


def make(handler):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    waiter = RecordingWaiter()
    auth = ServerToServerAuth(http, "https://zoom.test/oauth/token", "acct", "cid", SECRET, waiter)
    return ZoomClient(http, "https://api.zoom.test/v2", auth, waiter), auth, waiter


def token_response(n=1, expires_in=3599):
    return httpx.Response(
        200,
        json={
            "access_token": f"tok{n}",
            "token_type": "bearer",
            "expires_in": expires_in,
            "scope": "report:read:admin",
        },
    )


def page(records, token=""):
    return httpx.Response(
        200,
        json={
            "from": "2026-11-25",
            "to": "2026-11-26",
            "page_size": 300,
            "next_page_token": token,
            "activity_logs": records,
        },
    )


def test_token_request_shape_and_bearer_use():
    seen = []

    def handler(request):
        seen.append(request)
        if request.url.path == "/oauth/token":
            return token_response()
        return page([])

    client, auth, _ = make(handler)
    client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26", "page_size": 300})
    token_req, api_req = seen
    assert token_req.method == "POST"
    assert token_req.url.params["grant_type"] == "account_credentials"
    assert token_req.url.params["account_id"] == "acct"
    assert token_req.headers["authorization"].startswith("Basic ")
    assert api_req.headers["authorization"] == "Bearer tok1"
    assert api_req.url.params["page_size"] == "300"


def test_token_renewed_on_401_124_once_for_all_and_before_expiry():
    tokens = iter(range(1, 10))
    calls = {"token": 0}

    def handler(request):
        if request.url.path == "/oauth/token":
            calls["token"] += 1
            return token_response(next(tokens))
        if request.headers["authorization"] == "Bearer tok1":
            return httpx.Response(401, json={"code": 124, "message": "Access token is expired."})
        return page([])

    client, auth, _ = make(handler)
    client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26"})
    assert calls["token"] == 2
    auth.reject("tok1")  # a late 401 for the old token must not trigger another renewal
    client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26"})
    assert calls["token"] == 2


def test_token_close_to_expiry_is_renewed_proactively():
    n = iter(range(1, 10))

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response(next(n), expires_in=200)  # inside the 300 s leeway
        return page([])

    client, auth, _ = make(handler)
    assert auth.access_token() == "tok1"
    assert auth.access_token() == "tok2"


def test_rejected_fresh_token_is_an_auth_error():
    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return httpx.Response(401, json={"code": 124, "message": "Invalid access token."})

    client, _, _ = make(handler)
    with pytest.raises(AuthError, match="freshly issued access token"):
        client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26"})


@pytest.mark.parametrize(
    "status,body,message",
    [
        (
            401,
            {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
            "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET",
        ),
        (400, {"reason": "Invalid account_id", "error": "invalid_request"}, "ZOOM_ACCOUNT_ID"),
    ],
)
def test_wrong_credentials_are_named_and_secret_never_shown(status, body, message):
    def handler(request):
        return httpx.Response(status, json=body)

    client, _, _ = make(handler)
    with pytest.raises(AuthError, match=message) as info:
        client.get_page(REPORTS["activity"], {})
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "log_type,scope",
    [
        ("activity", "report:read:user_activities:admin"),
        ("operation", "report:read:operation_logs:admin"),
        ("meeting_activity", "report:read:meeting_activity_log:admin"),
    ],
)
def test_missing_scope_is_named(log_type, scope):
    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return httpx.Response(400, json={"code": 4711, "message": "Invalid access token, does not contain scopes:[x]."})

    client, _, _ = make(handler)
    with pytest.raises(ScopeError, match=scope):
        client.get_page(REPORTS[log_type], {"from": "2026-11-25", "to": "2026-11-26"})


def test_no_permission_code_200_and_page_token_expiry_and_bad_range():
    answers = iter(
        [
            httpx.Response(400, json={"code": 200, "message": "No permission."}),
            httpx.Response(400, json={"code": 300, "message": "The next page token is invalid or expired."}),
            httpx.Response(400, json={"code": 300, "message": "The date range must be within one month."}),
        ]
    )

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return next(answers)

    client, _, _ = make(handler)
    with pytest.raises(ScopeError, match="no permission"):
        client.get_page(REPORTS["operation"], {"from": "a", "to": "b"})
    with pytest.raises(PageTokenExpired):
        client.get_page(REPORTS["operation"], {"from": "a", "to": "b", "next_page_token": "t"})
    with pytest.raises(ApiError, match="within one month"):
        client.get_page(REPORTS["operation"], {"from": "a", "to": "b"})


def test_429_waits_as_told_in_any_header_case_then_succeeds():
    later = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answers = iter(
        [
            httpx.Response(429, headers={"retry-after": "2", "x-ratelimit-type": "QPS"}, json={"code": 429}),
            httpx.Response(429, headers={"Retry-After": later, "X-RateLimit-Type": "Daily-limit"}, json={"code": 429}),
            httpx.Response(429, headers={"x-ratelimit-type": "QPS"}, json={"code": 429}),
            page([{"email": "a@example.com"}]),
        ]
    )

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return next(answers)

    client, _, waiter = make(handler)
    body = client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26"})
    assert body["activity_logs"] == [{"email": "a@example.com"}]
    assert waiter.sleeps[0] == 2.0
    assert 25 < waiter.sleeps[1] <= 30
    assert 0 < waiter.sleeps[2] <= 60  # no Retry-After: back-off, never a busy retry
    assert client.rate_limited == 3


@pytest.mark.parametrize(
    "bad",
    [
        httpx.Response(500, json={"code": 500}),
        httpx.Response(503, text="<html>unavailable</html>"),
        httpx.Response(200, text="<html>Bad gateway</html>"),
        httpx.Response(200, content=b'{"activity_logs": [{"email": "a'),
        "timeout",
        "reset",
    ],
)
def test_transient_failures_are_retried_with_backoff(bad):
    state = {"n": 0}

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        state["n"] += 1
        if state["n"] == 1:
            if bad == "timeout":
                raise httpx.ReadTimeout("slow", request=request)
            if bad == "reset":
                raise httpx.RemoteProtocolError("reset", request=request)
            return bad
        return page([])

    client, _, waiter = make(handler)
    client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26"})
    assert len(waiter.sleeps) == 1 and waiter.sleeps[0] > 0


def test_unreachable_api_gives_up_with_clear_error():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    client, _, waiter = make(handler)
    with pytest.raises(ApiError, match="could not get an access token.*cannot reach"):
        client.get_page(REPORTS["activity"], {})


def test_pages_follow_tokens_until_empty_or_absent():
    bodies = iter(
        [
            page([{"n": 1}], token="p2"),
            httpx.Response(200, json={"activity_logs": [{"n": 2}]}),  # no next_page_token key at all
        ]
    )
    seen = []

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        seen.append(dict(request.url.params))
        return next(bodies)

    client, _, _ = make(handler)
    pages = list(client.pages(REPORTS["activity"], date(2026, 11, 25), date(2026, 11, 26)))
    assert pages == [[{"n": 1}], [{"n": 2}]]
    assert "next_page_token" not in seen[0] and seen[1]["next_page_token"] == "p2"
    assert seen[1]["from"] == "2026-11-25" and seen[1]["to"] == "2026-11-26"


def test_retry_after_shapes():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert parse_retry_after("5", now) == 5
    assert parse_retry_after("2026-11-26T12:00:30Z", now) == 30
    assert parse_retry_after("Thu, 26 Nov 2026 12:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None
    headers = httpx.Headers({"x-ratelimit-type": "Daily-limit"})
    wait, kind = rate_limit_delay(headers, 0, Backoff(), now)
    assert kind == "Daily-limit" and wait == 12 * 3600  # until 00:00 UTC, when Zoom resets the cap


def test_retry_after_in_the_past_still_backs_off():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    headers = httpx.Headers({"retry-after": "2026-11-26T11:59:55Z", "x-ratelimit-type": "Daily-limit"})
    wait, _ = rate_limit_delay(headers, 0, Backoff(), now)
    assert wait >= 0.5


def test_max_rps_paces_requests_without_busy_waiting():
    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return page([])

    http = httpx.Client(transport=httpx.MockTransport(handler))
    waiter = RecordingWaiter()
    auth = ServerToServerAuth(http, "https://zoom.test/oauth/token", "acct", "cid", SECRET, waiter)
    client = ZoomClient(http, "https://api.zoom.test/v2", auth, waiter, max_rps=4)
    for _ in range(5):
        client.get_page(REPORTS["activity"], {"from": "2026-11-25", "to": "2026-11-26"})
    # the fake clock moves only when the client sleeps: one quarter-second wait before
    # each request after the first, and never a zero-length (busy) wait
    assert waiter.sleeps == pytest.approx([0.25] * 4)


def test_daily_cap_reserve_waits_for_midnight():
    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return httpx.Response(200, headers={"x-ratelimit-remaining": "40"}, json={"activity_logs": []})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    waiter = RecordingWaiter()
    auth = ServerToServerAuth(http, "https://zoom.test/oauth/token", "acct", "cid", SECRET, waiter)
    client = ZoomClient(http, "https://api.zoom.test/v2", auth, waiter, daily_reserve=50)
    client.get_page(REPORTS["activity"], {})
    assert waiter.sleeps == []
    client.get_page(REPORTS["activity"], {})
    assert len(waiter.sleeps) == 1 and waiter.sleeps[0] > 0  # until 00:00 UTC, when Zoom resets the cap


def test_a_per_second_429_slows_the_pace_and_successes_bring_it_back():
    answers = iter([429] + [200] * 200)

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        if next(answers) == 429:
            return httpx.Response(
                429, headers={"x-ratelimit-type": "QPS", "retry-after": "1"}, json={"code": 429, "message": "rate"}
            )
        return page([])

    http = httpx.Client(transport=httpx.MockTransport(handler))
    waiter = RecordingWaiter()
    auth = ServerToServerAuth(http, "https://zoom.test/oauth/token", "acct", "cid", SECRET, waiter)
    client = ZoomClient(http, "https://api.zoom.test/v2", auth, waiter, max_rps=10)
    client.get_page(REPORTS["activity"], {})
    assert client._interval == pytest.approx(0.125)  # 8/s after the 429
    for _ in range(49):
        client.get_page(REPORTS["activity"], {})
    assert client._interval == pytest.approx(0.125 / 1.1)
    for _ in range(110):
        client.get_page(REPORTS["activity"], {})
    assert client._interval == pytest.approx(0.1)  # never faster than --max-rps


# -- the meeting activity report ---------------------------------------------------------------

MEETING = REPORTS["meeting_activity"]
MEETING_HINT = "ask Zoom Support to enable the meeting audit trail log feature"


def meeting_record(ms=216, who="Jill Chill"):
    return {
        "meeting_number": "982 610 0285",
        "activity_time": f"2026-11-25 07:09:03:{ms:03d}",
        "operator": who,
        "operator_email": "",
        "activity_category": "User joined",
        "activity_detail": f"{who} joined the meeting",
    }


def test_meeting_report_sends_its_required_parameters_and_filters_and_pages_on():
    seen = []

    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        seen.append(dict(request.url.params))
        assert request.url.path == "/v2/report/meeting_activities"
        token = "" if "next_page_token" in request.url.params else "p2"
        # this report echoes no from/to
        return httpx.Response(200, json={"meeting_activity_logs": [meeting_record()], "next_page_token": token})

    client, _, _ = make(handler)
    pages = list(client.pages(MEETING, date(2026, 11, 1), date(2026, 11, 30)))
    assert len(pages) == 2 and pages[0] == [meeting_record()]
    assert seen[0] == {"from": "2026-11-01", "to": "2026-11-30", "page_size": "300", "activity_type": "All Activities"}
    assert seen[1] == {**seen[0], "next_page_token": "p2"}  # the other parameters never change while paging
    seen.clear()
    filters = {"activity_type": "Remote Control", "meeting_number": "9826100285", "search_key": "Jill"}
    list(client.pages(MEETING, date(2026, 11, 1), date(2026, 11, 1), 271, filters))
    assert seen[0] == {"from": "2026-11-01", "to": "2026-11-01", "page_size": "271", **filters}
    assert "category_type" not in seen[0]


@pytest.mark.parametrize(
    "status,body",
    [
        (400, {"code": 200, "message": "No permission."}),  # the audit trail off, or the role's permission
        (403, {"code": 403, "message": "No permission."}),
        (400, {"code": 4711, "message": "Invalid access token, does not contain scopes:[x]."}),
    ],
)
def test_every_refusal_of_the_meeting_report_names_the_three_things_to_ask_for(status, body):
    def handler(request):
        if request.url.path == "/oauth/token":
            return token_response()
        return httpx.Response(status, json=body)

    client, _, waiter = make(handler)
    with pytest.raises(ScopeError) as info:
        client.get_page(MEETING, {"from": "2026-11-25", "to": "2026-11-26"})
    message = str(info.value)
    assert info.value.log_type == "meeting_activity" and info.value.exit_code == 4
    for needle in (MEETING_HINT, "report:read:meeting_activity_log:admin", "report:read:admin", "Usage Reports"):
        assert needle in message
    assert body["message"] in message and "\n" not in message
    assert client.requests == 1 and waiter.sleeps == []  # a refusal is not retried


def test_a_page_of_another_report_is_not_a_meeting_page():
    from collector.client import page_problem

    assert page_problem(MEETING, {"activity_logs": []}) == "no 'meeting_activity_logs' list"
    assert page_problem(MEETING, {"meeting_activity_logs": [], "next_page_token": ""}) is None


# -- a refused report does not stop the others -----------------------------------------------


class Zoom:
    """Serves one record a day for the sign-in and operation reports; the meeting report
    answers `meeting` (a status and body) until it is set to None (then served)."""

    def __init__(self):
        self.meeting = (400, {"code": 200, "message": "No permission."})
        self.calls = {"activities": 0, "operationlogs": 0, "meeting_activities": 0}

    def __call__(self, request):
        if request.url.path == "/oauth/token":
            return token_response()
        endpoint = request.url.path.rsplit("/", 1)[-1]
        self.calls[endpoint] += 1
        day = request.url.params["to"]
        if endpoint == "meeting_activities":
            if self.meeting is not None:
                return httpx.Response(self.meeting[0], json=self.meeting[1])
            record = {**meeting_record(), "activity_time": f"{day} 07:09:03:216"}
            return httpx.Response(200, json={"meeting_activity_logs": [record], "next_page_token": ""})
        key = "activity_logs" if endpoint == "activities" else "operation_logs"
        return httpx.Response(200, json={key: [{"time": f"{day}T10:00:00Z", "endpoint": endpoint}]})


def collector_on(zoom, tmp_path, today):
    import io

    from collector.collect import Collector, Settings
    from collector.ledger import Ledger
    from collector.output import Sink

    client, _, waiter = make(zoom)
    out = io.BytesIO()
    ledger = Ledger(tmp_path / "s.sqlite3", "default", today)
    collector = Collector(client, ledger, Sink(out, durable=False), Settings(), waiter, today=lambda: today)
    return collector, ledger, waiter, out


def test_a_refused_report_is_one_line_and_the_others_are_collected(tmp_path, caplog):
    from collector.windows import utc_today

    today = utc_today()
    zoom = Zoom()
    collector, ledger, _, out = collector_on(zoom, tmp_path, today)
    with caplog.at_level("INFO", logger="zoom-activity-logs"):
        collector.backfill(today - timedelta(days=3), today)
    lines = [l for l in out.getvalue().splitlines() if l]
    assert {b'"log_type":"activity"' in l for l in lines} == {True, False} and len(lines) == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and MEETING_HINT in errors[0] and "meeting_activity" in errors[0]
    assert zoom.calls["meeting_activities"] == 1  # refused once, not asked again in the same run
    # the others are settled; the refused backfill is still owed, nothing of it settled
    assert ledger.last_poll_day("activity") == today and ledger.last_poll_day("operation") == today
    assert [s for s, *_ in ledger.owed()] == ["meeting_activity"]
    assert ledger.settled_days("meeting_activity") == set()
    with pytest.raises(ScopeError, match="refused the meeting_activity report.*activity, operation collected"):
        collector.check_refused()
    ledger.close()


def test_follow_asks_a_refused_report_again_hourly_and_logs_only_changes(tmp_path, caplog):
    from collector.collect import REFUSED_RETRY_SECONDS
    from collector.windows import utc_today

    today = utc_today()
    zoom = Zoom()
    collector, ledger, waiter, out = collector_on(zoom, tmp_path, today)
    with caplog.at_level("INFO", logger="zoom-activity-logs"):
        collector.backfill(today - timedelta(days=3), today)
        for _ in range(5):  # polls within the hour: the refused report is not asked
            waiter.clock += 60
            collector.poll()
        assert zoom.calls["meeting_activities"] == 1 and zoom.calls["activities"] > 5
        waiter.clock += REFUSED_RETRY_SECONDS
        collector.poll()  # asked again, refused again alike: no new line
        assert zoom.calls["meeting_activities"] == 2
        assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1
        assert "meeting_activity" in str(collector.refusal())
        zoom.meeting = (400, {"code": 4711, "message": "Invalid access token, does not contain scopes:[x]."})
        waiter.clock += REFUSED_RETRY_SECONDS
        collector.poll()  # another refusal: said once
        assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 2
        zoom.meeting = None  # Zoom Support switched the audit trail on
        waiter.clock += REFUSED_RETRY_SECONDS
        collector.poll()
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert any("meeting_activity: Zoom serves the report now" in m for m in infos)
    assert collector.refused == {} and collector.refusal() is None
    assert ledger.owed() == []  # the owed backfill was paid
    meeting = [l for l in out.getvalue().splitlines() if b'"log_type":"meeting_activity"' in l]
    assert len(meeting) == 1  # the fake serves one record a window: written once, by the owed backfill
    ledger.close()


def test_an_auth_error_still_ends_everything(tmp_path):
    from collector.windows import utc_today

    today = utc_today()
    zoom = Zoom()
    zoom.meeting = (401, {"code": 124, "message": "Invalid access token."})
    collector, ledger, _, _ = collector_on(zoom, tmp_path, today)
    with pytest.raises(AuthError):
        collector.backfill(today - timedelta(days=1), today)
    assert collector.refused == {}
    ledger.close()
