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
    [("activity", "report:read:user_activities:admin"), ("operation", "report:read:operation_logs:admin")],
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
