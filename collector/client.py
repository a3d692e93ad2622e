"""Zoom report API client: one page at a time, with every documented failure handled.

- 401 code 124: the token is renewed (once for all requests) and the request replayed.
- 400 code 4711/4700: a missing scope, named; 400 code 200: a missing permission.
- 400 code 300 on a page token: PageTokenExpired, so the caller restarts the window.
- 429: Retry-After (seconds or ISO time), X-RateLimit-Type, any header case, back-off.
- 5xx, timeouts, resets, truncated or non-JSON bodies: retried with back-off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx

from . import bounded
from .auth import ServerToServerAuth
from .errors import ApiError, AuthError, PageTokenExpired, ScopeError
from .redact import redact_url
from .retry import Backoff, Waiter, rate_limit_delay, seconds_to_next_utc_midnight

log = logging.getLogger("zoom-activity-logs")


CLASSIC_SCOPE = "report:read:admin"
PAGE_SIZE = 300
# The meeting report's required `activity_type` when no filter is asked: every category.
ALL_ACTIVITIES = "All Activities"
# Zoom's enum for `activity_type` (docs/meeting-activity.md), and the numeric codes its description gives
ACTIVITY_TYPES = (
    ALL_ACTIVITIES,
    "Meeting Created",
    "Meeting Started",
    "User Join",
    "User Left",
    "Remote Control",
    "In-Meeting Chat",
    "Meeting Ended",
)
ACTIVITY_CODES = dict(zip(("-1", "0", "1", "2", "3", "4", "5", "9"), ACTIVITY_TYPES))


@dataclass(frozen=True)
class Report:
    log_type: str
    path: str
    records_key: str
    granular_scope: str
    defaults: tuple[tuple[str, str], ...] = ()  # required parameters, sent unless a filter sets them
    # what to ask for when Zoom refuses it for a missing permission or feature
    permission_hint: str = "the app owner's role needs the report permissions (sign in/sign out, admin activity logs)"
    # one line naming everything to ask for on ANY refusal (scope, permission, feature), or ""
    refusal_hint: str = ""


REPORTS = {
    "activity": Report("activity", "/report/activities", "activity_logs", "report:read:user_activities:admin"),
    "operation": Report("operation", "/report/operationlogs", "operation_logs", "report:read:operation_logs:admin"),
    # Zoom answers "No permission." alike for a missing role permission and for the
    # meeting audit trail not switched on (docs/meeting-activity.md): name all three.
    "meeting_activity": Report(
        "meeting_activity",
        "/report/meeting_activities",
        "meeting_activity_logs",
        "report:read:meeting_activity_log:admin",
        defaults=(("activity_type", ALL_ACTIVITIES),),
        refusal_hint="ask Zoom Support to enable the meeting audit trail log feature; the app needs "
        "'report:read:meeting_activity_log:admin' (or 'report:read:admin') and the app owner's role "
        "the Usage Reports permission",
    ),
}


class ZoomClient:
    def __init__(
        self,
        http: httpx.Client,
        api_url: str,
        auth: ServerToServerAuth,
        waiter: Waiter | None = None,
        attempts: int = 8,
        backoff: Backoff | None = None,
        max_rate_limit_waits: int = 100,
        max_rps: float | None = None,
        daily_reserve: int = 0,
    ):
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._auth = auth
        self._waiter = waiter or Waiter()
        self._attempts = attempts
        self._backoff = backoff or Backoff()
        self._max_rate_limit_waits = max_rate_limit_waits
        self.requests = 0
        self.rate_limited = 0
        self.retried = 0
        # Zoom's Heavy quota is shared with every other app of the account: pace
        # ourselves well under it instead of finding the limit with 429s.
        self._base_interval = self._interval = 1.0 / max_rps if max_rps else 0.0
        self._since_slowdown = 0
        self._next_slot = 0.0
        self._daily_reserve = daily_reserve
        self.daily_remaining: int | None = None

    def _pace(self) -> None:
        if self._interval:
            now = self._waiter.monotonic()
            wait = self._next_slot - now
            if wait > 0:
                self._waiter.sleep(wait)
            self._next_slot = max(now, self._next_slot) + self._interval
        if self._daily_reserve and self.daily_remaining is not None and self.daily_remaining <= self._daily_reserve:
            # Leave the rest of the daily cap to the account's other apps.
            wait = seconds_to_next_utc_midnight(datetime.now(UTC))
            log.warning(
                "Zoom daily request cap nearly used (%d left, reserve %d); waiting %.0fs for 00:00 UTC",
                self.daily_remaining,
                self._daily_reserve,
                wait,
            )
            self.daily_remaining = None
            self._waiter.sleep(wait)

    def _slow_down(self) -> None:
        """A per-second 429 means other apps share the quota (or the budget is set at
        the limit): pace a quarter slower, so the 429s stop instead of recurring."""
        if self._interval:
            self._interval = min(self._interval * 1.25, 10.0)
            self._since_slowdown = 0
            log.info("pacing slowed to %.2f requests/s after a per-second 429", 1 / self._interval)

    def _recover_pace(self) -> None:
        """Back toward --max-rps, a little after every 50 successes in a row."""
        if self._interval > self._base_interval:
            self._since_slowdown += 1
            if self._since_slowdown >= 50:
                self._interval = max(self._base_interval, self._interval / 1.1)
                self._since_slowdown = 0

    def _note_remaining(self, response) -> None:
        value = response.headers.get("X-RateLimit-Remaining")  # Zoom: requests left in today's cap
        try:
            remaining = int(value) if value is not None else None
        except ValueError:
            return
        if remaining is not None and remaining >= 0:  # a negative count is no count: never a day's wait for it
            self.daily_remaining = remaining

    def get_page(self, report: Report, params: dict) -> dict:
        """One report page as a JSON object, or a CollectorError / PageTokenExpired."""
        url = self._api_url + report.path
        failures = 0
        rate_waits = 0
        renewed = False
        last = ""
        while True:
            self._waiter.check()
            self._pace()
            token = self._auth.access_token()
            self.requests += 1
            try:
                response, content = bounded.request(
                    self._http, "GET", url, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TimeoutException:
                last = "timed out"
                response = None
            except httpx.TransportError as exc:
                last = f"network error ({type(exc).__name__})"
                response = None
            except bounded.TooMuch as exc:
                last = str(exc)
                response = None
            if response is not None:
                status = response.status_code
                tracking = response.headers.get("x-zm-trackingid", "-")
                body = bounded.json_or_none(content)
                if status == 200:
                    # only a success tells today's remaining cap; a 429's "0" is
                    # stale once its Retry-After has been waited out
                    self._note_remaining(response)
                    self._recover_pace()
                    problem = page_problem(report, body)
                    if problem is None:
                        return body
                    # A proxy, an outage page or a changed API: counting nothing
                    # from it would settle days as empty, so it is retried like a 5xx.
                    last = f"HTTP 200 that is not a report page ({problem})"
                elif status == 401:
                    if renewed:
                        raise AuthError(
                            f"Zoom rejected a freshly issued access token on {report.path} "
                            f"({_describe(body)}; tracking id {tracking}): the app may be deactivated or revoked"
                        )
                    self._auth.reject(token)
                    renewed = True
                    continue
                elif status == 429:
                    rate_waits += 1
                    self.rate_limited += 1
                    if rate_waits > self._max_rate_limit_waits:
                        raise ApiError(f"Zoom kept answering 429 on {report.path} after {rate_waits - 1} waits")
                    wait, kind = rate_limit_delay(response.headers, rate_waits - 1, self._backoff)
                    if kind.lower() == "qps":
                        self._slow_down()
                    log.warning("rate limited by Zoom (%s) on %s; waiting %.1fs", kind, report.path, wait)
                    self._waiter.sleep(wait)
                    continue
                elif status in (400, 403, 404):
                    self._raise_refusal(report, params, status, body, tracking)
                elif status >= 500:
                    last = f"HTTP {status} (tracking id {tracking})"
                else:
                    raise ApiError(f"Zoom answered HTTP {status} on {report.path}: {_describe(body)}")
            failures += 1
            self.retried += 1
            if failures >= self._attempts:
                raise ApiError(f"Zoom API {redact_url(self._api_url)} failed {failures} times on {report.path}: {last}")
            wait = self._backoff.delay(failures - 1)
            log.warning("%s on %s; retrying in %.1fs", last, report.path, wait)
            self._waiter.sleep(wait)

    def _raise_refusal(self, report: Report, params: dict, status: int, body, tracking: str):
        code = body.get("code") if isinstance(body, dict) else None
        message = _describe(body)
        missing_scope = code in (4711, 4700) or "scope" in message.lower()
        if (missing_scope or code == 200 or status == 403) and report.refusal_hint:
            raise ScopeError(
                f"Zoom refused the {report.log_type} report {report.path} ({message}): {report.refusal_hint}",
                report.log_type,
            )
        if missing_scope:
            raise ScopeError(
                f"the access token lacks the scope for {report.path}: add '{report.granular_scope}' "
                f"(or '{CLASSIC_SCOPE}') to the Zoom app ({message})",
                report.log_type,
            )
        if code == 200 or status == 403:
            raise ScopeError(
                f"no permission to read {report.path} ({message}): {report.permission_hint}", report.log_type
            )
        if code == 300 and params.get("next_page_token"):
            raise PageTokenExpired(message)
        raise ApiError(
            f"Zoom refused {report.path} from={params.get('from')} to={params.get('to')}: "
            f"HTTP {status} {message} (tracking id {tracking})"
        )

    def pages(
        self,
        report: Report,
        start: date,
        end: date,
        page_size: int = PAGE_SIZE,
        filters: Mapping[str, str] | None = None,
    ) -> Iterator[list[dict]]:
        """Every page of one window, newest first as Zoom serves them. `filters` are
        the report's own query parameters (category_type, activity_type, ...); its
        required ones (Report.defaults) are sent when no filter sets them."""
        params: dict = {"from": start.isoformat(), "to": end.isoformat(), "page_size": page_size}
        params.update(report.defaults)
        params.update(filters or {})
        tokens: set[str] = set()
        while True:
            body = self.get_page(report, params)
            yield body[report.records_key]
            token = body.get("next_page_token")
            if not token:
                return
            if token in tokens:
                # A server handing back a token it gave before would page forever.
                raise ApiError(
                    f"Zoom answered a next_page_token it had already given on {report.path} "
                    f"from={start} to={end}: paging would never end"
                )
            tokens.add(token)
            params = {**params, "next_page_token": token}


def page_problem(report: Report, body) -> str | None:
    """What makes `body` not a page of `report` as Zoom documents it, or None.

    Checked before anything is counted: a page that is not one must never pass
    for an empty day.
    """
    if not isinstance(body, dict):
        return "truncated or not JSON" if body is None else f"a JSON {type(body).__name__}, not an object"
    if report.records_key not in body:
        return f"no {report.records_key!r} list"
    records = body[report.records_key]
    if not isinstance(records, list):
        return f"{report.records_key!r} is a {type(records).__name__}, not a list"
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            return f"{report.records_key}[{index}] is a {type(record).__name__}, not an object"
    token = body.get("next_page_token")
    if token is not None and not isinstance(token, str):
        return f"next_page_token is a {type(token).__name__}, not a string"
    return None


def _describe(body) -> str:
    if isinstance(body, dict):
        code = body.get("code", body.get("error", "?"))
        message = body.get("message", body.get("reason", ""))
        return f"code {code}: {message}"
    return "no JSON body"
