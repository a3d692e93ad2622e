"""Zoom semantics, free of sockets: OAuth (server-to-server, and user-managed authorize and
token endpoints), the three report endpoints, faults and rate limits. `ZoomApi.handle` turns
one parsed request into a Reply."""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote

import orjson

from .config import EmulatorConfig
from .dataset import Generator
from .faults import Fault, FaultQueue
from .meetings import ACTIVITY_TYPES
from .meetings import category_key as meeting_category
from .oauth import UserOAuth
from .opdetails import CATEGORY_FILTERS, category_key
from .ratelimit import RateLimiter
from .store import RecordStore, Select
from .timeutil import add_months, format_iso, next_midnight, parse_day
from .tokens import AccessTokens, PageTokens

JSON = "application/json;charset=UTF-8"
MAX_PAGE_SIZE = 300
DEFAULT_PAGE_SIZE = 30

# endpoint name -> (store kind, records key, granular scope)
ENDPOINTS = {
    "activities": ("activity", "activity_logs", "report:read:user_activities:admin"),
    "operationlogs": ("operation", "operation_logs", "report:read:operation_logs:admin"),
    "meeting_activities": ("meeting_activity", "meeting_activity_logs", "report:read:meeting_activity_log:admin"),
}
CLASSIC_SCOPE = "report:read:admin"
# The report needs the meeting audit trail, which Zoom Support switches on (docs/meeting-activity.md).
NO_PERMISSION = "No permission."
PAGE_TOKEN_ERROR = "The next page token is invalid or expired."
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = "You have reached the maximum daily rate limit for this API. Try again later."
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: list = field(default_factory=list)
    content_type: str = JSON
    action: str = "send"  # send | reset | truncate
    page: dict | None = None  # a report page behind body, for the faults that reshape or cut it


def _json(status: int, obj, headers: list | None = None) -> Reply:
    return Reply(status, orjson.dumps(obj), headers or [])


def _error(status: int, code: int, message: str, headers: list | None = None) -> Reply:
    return _json(status, {"code": code, "message": message}, headers)


def _wrong_shape(shape: str, page: dict, key: str):
    """The body a wrong_shape fault sends instead of `page` (key: the records key)."""
    if shape == "data_string":
        return {"data": "x"}
    if shape == "not_object":
        return []
    body = dict(page)
    if shape == "no_records":
        del body[key]
    elif shape == "records_not_list":
        body[key] = "x"
    elif shape == "record_not_object":
        # Junk after the first real record: checking only records[0] does not catch it.
        body[key] = page[key][:1] + ["x", 1, None] + page[key][1:]
    elif shape == "token_not_string":
        body["next_page_token"] = 12345
    return body


_NONE: frozenset = frozenset()
_SPARE_REPLACEMENT = frozenset({"expire_access_token"})


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ZoomApi:
    def __init__(
        self,
        cfg: EmulatorConfig,
        stores: dict[str, RecordStore],
        generator: Generator,
        faults: FaultQueue,
        clock: Callable[[], datetime],
        stopping: threading.Event,
    ) -> None:
        self.cfg = cfg
        self.stores = stores
        self.generator = generator
        self.faults = faults
        self.clock = clock
        self.stopping = stopping
        self.base_url = ""
        self.tokens = AccessTokens(cfg)
        self.oauth = UserOAuth(cfg, self.tokens)
        self.page_tokens = PageTokens()
        self.limiter = RateLimiter(cfg)
        self._arrivals = 0
        self._lock = threading.Lock()
        self._stats = {
            "requests": 0,
            "report_requests": 0,
            "token_requests": 0,
            "authorize_requests": 0,
            "resets": 0,
            "truncated": 0,
            "faults": 0,
            "lost_token_responses": 0,
        }
        self._status: Counter = Counter()
        self._paths: Counter = Counter()

    # ---- bookkeeping ----------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._stats[key] += n

    def record_status(self, status: int | None) -> None:
        with self._lock:
            if status is None:
                self._stats["resets"] += 1
            else:
                self._status[status] += 1

    def count_truncated(self) -> None:
        self._count("truncated")

    def stats(self) -> dict:
        with self._lock:
            out: dict = dict(self._stats)
            out["status"] = dict(self._status)
            out["paths"] = dict(self._paths)
        out["oauth"] = self.oauth.counters()  # counts only: stats are served over HTTP
        out["generation"] = {kind: store.counters() for kind, store in self.stores.items()}
        return out

    def _name(self, name: str) -> str:
        return name.lower() if self.cfg.lowercase_headers else name

    def _sleep(self, seconds: float) -> None:
        self.stopping.wait(max(0.0, float(seconds)))  # wakes early when the emulator stops

    # ---- dispatch -----------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers, body: bytes) -> Reply:
        with self._lock:
            self._stats["requests"] += 1
            self._paths[path] += 1
        if path == "/oauth/token":
            self._count("token_requests")
            if method != "POST":
                return _error(405, 405, "Method not allowed.")
            return self._with_fault("token", headers, lambda: self._token(query, headers, body))
        if path == "/oauth/authorize":
            self._count("authorize_requests")
            if method != "GET":
                return _error(405, 405, "Method not allowed.")
            return self._authorize(query)
        if path.startswith("/v2/report/") and path[11:] in ENDPOINTS:
            self._count("report_requests")
            if method != "GET":
                return _error(405, 405, "Method not allowed.")
            endpoint = path[11:]
            return self._with_fault(endpoint, headers, lambda: self._report(endpoint, query, headers))
        if path == "/emulator/stats" and method == "GET":
            # Status codes are int keys, which orjson only writes when asked to.
            return Reply(200, orjson.dumps(self.stats(), option=orjson.OPT_NON_STR_KEYS))
        return _error(404, 404, "Not found.")

    def _with_fault(self, endpoint: str, headers, answer: Callable[[], Reply]) -> Reply:
        if endpoint != "token" and self.faults.revoked:
            return _error(401, 124, "Invalid access token.")
        skip = _SPARE_REPLACEMENT if self.tokens.is_replacement(_bearer(headers.get("Authorization"))) else _NONE
        fault = self.faults.take(endpoint, skip)
        if fault is None:
            reply = answer()
            # truncate_last_page waits, on requests no other fault took, for the page ending a window.
            if reply.page is not None and reply.page["next_page_token"] == "" and self.faults.take_last_page(endpoint):
                self._count("faults")
                reply.action = "truncate"
            return reply
        self._count("faults")
        early = self._fault_reply(fault, headers)
        if early is not None:
            return early
        reply = answer()
        if fault.kind == "truncated" and reply.status == 200:
            reply.action = "truncate"
        elif fault.kind == "wrong_shape" and reply.page is not None:
            # Still 200, rate-limit headers and all; page tokens are stateless, so a retry of
            # the same request gets the real page.
            reply.body = orjson.dumps(_wrong_shape(fault.params["shape"], reply.page, ENDPOINTS[endpoint][1]))
        elif fault.kind == "lose_token_response":
            # The work is done (a refresh has rotated); only the answer is lost on the way back.
            self._count("lost_token_responses")
            reply.action = "reset"
        return reply

    def _fault_reply(self, fault: Fault, headers) -> Reply | None:
        """Reply for faults that replace the answer; None when the answer still goes out."""
        kind, p = fault.kind, fault.params
        if kind == "slow":
            self._sleep(p.get("delay", 2.0))
            return None
        if kind in ("truncated", "wrong_shape"):
            return None
        if kind == "reset":
            return Reply(0, action="reset")
        if kind == "500":
            return _error(500, 500, "Internal server error.")
        if kind == "503":
            return _error(503, 503, "Service temporarily unavailable.")
        if kind == "nonjson":
            return Reply(200, BAD_GATEWAY_HTML, content_type="text/html")
        if kind == "429_qps":
            return self._too_many("QPS", self.cfg.qps_limit or 40, str(p.get("retry_after", 1)))
        if kind == "429_daily":
            at = p.get("retry_after_at")
            if at is None:
                at = self.clock() + timedelta(seconds=2)
            when = format_iso(at) if isinstance(at, datetime) else str(at)
            return self._too_many("Daily-limit", self.cfg.daily_limit or 60000, when)
        if kind == "expire_access_token":
            # That token stays dead: the client must fetch a new one.
            self.tokens.expire(_bearer(headers.get("Authorization")))
            return _error(401, 124, "Access token is expired.")
        return None

    def _too_many(self, kind: str, limit, retry_after: str) -> Reply:
        n = self._name
        headers = [
            (n("X-RateLimit-Category"), "Heavy"),
            (n("X-RateLimit-Type"), kind),
            (n("X-RateLimit-Limit"), str(limit)),
            (n("X-RateLimit-Remaining"), "0"),
        ]
        if self.cfg.retry_after:
            headers.append((n("Retry-After"), retry_after))
        return _error(429, 429, QPS_MESSAGE if kind == "QPS" else DAILY_MESSAGE, headers)

    # ---- OAuth ----------------------------------------------------------------
    def _authorize(self, query: str) -> Reply:
        """The user's browser at /oauth/authorize; the user clicks Allow (or Deny) at once."""
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        status, answer = self.oauth.authorize(params, self.clock().timestamp())
        if status == 302:
            return Reply(302, headers=[("Location", answer)], content_type="text/html;charset=UTF-8")
        return _json(status, answer)

    def _token(self, query: str, headers, body: bytes) -> Reply:
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if body:
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                form = {}
            for k, v in form.items():
                params.setdefault(k, v[0])
        client_id, secret = _basic(headers.get("Authorization"))
        good = (
            client_id is not None
            and hmac.compare_digest(client_id.encode(), self.cfg.client_id.encode())
            and hmac.compare_digest(secret.encode(), self.cfg.client_secret.encode())
        )
        grant_type = params.get("grant_type")
        user_grant = grant_type in ("authorization_code", "refresh_token")
        # A revoked server-to-server app fails client authentication; a revoked (uninstalled)
        # user-managed app keeps its credentials but its codes and refresh tokens are dead.
        if not good or (self.faults.revoked and not user_grant):
            return _json(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if user_grant:
            now = self.clock().timestamp()
            if grant_type == "authorization_code":
                status, answer = self.oauth.exchange(params, now, self.faults.revoked, self.base_url)
            else:
                status, answer = self.oauth.refresh(params, now, self.faults.revoked, self.base_url)
            return _json(status, answer)
        if grant_type != "account_credentials":
            return _json(400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"})
        if params.get("account_id") != self.cfg.account_id:
            return _json(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        token = self.tokens.issue(self.clock().timestamp())
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.cfg.token_ttl,
                "scope": " ".join(self.cfg.scopes),
                "api_url": self.base_url,
            },
        )

    # ---- reports --------------------------------------------------------------
    def _report(self, endpoint: str, query: str, headers) -> Reply:
        kind, key, granular = ENDPOINTS[endpoint]
        now = self.clock()
        now_ts = now.timestamp()
        bearer = _bearer(headers.get("Authorization"))
        state, scopes = self.tokens.check(bearer, now_ts)
        if state == "invalid":
            return _error(401, 124, "Invalid access token.")
        if state == "expired":
            return _error(401, 124, "Access token is expired.")
        if granular not in scopes and CLASSIC_SCOPE not in scopes:
            return _error(400, 4711, f"Invalid access token, does not contain scopes:[{granular}, {CLASSIC_SCOPE}].")
        if endpoint == "meeting_activities" and not self.cfg.meeting_audit_trail:
            return _error(400, 200, NO_PERMISSION)

        verdict, wait, remaining = self.limiter.admit(time.monotonic(), now.date())
        if verdict == "QPS":
            return self._too_many("QPS", self.cfg.qps_limit, str(wait))
        if verdict == "Daily-limit":
            return self._too_many("Daily-limit", self.cfg.daily_limit, format_iso(next_midnight(now)))

        try:
            since, until, size, category, select, offset = self._query(endpoint, query, now)
        except _BadRequest as exc:
            return _error(400, 300, exc.message)

        store = self.stores[kind]
        now_units = store.units(now_ts)
        if self.cfg.arrivals_per_request:
            self._arrive(kind, store, now_units)
        records, total = store.page(since, until, now_units, select, offset, size, self.cfg.oldest_first)
        next_offset = offset + len(records)
        token = ""
        if next_offset < total:
            token = self.page_tokens.encode(
                endpoint, since.isoformat(), until.isoformat(), category, next_offset, now_ts
            )
        if endpoint == "meeting_activities":
            # This report echoes no from/to.
            page = {key: records, "next_page_token": token, "page_size": size}
        else:
            page = {
                "from": since.isoformat(),
                "to": until.isoformat(),
                "page_size": size,
                "next_page_token": token,
                key: records,
            }
        extra = []
        if remaining is not None:
            n = self._name
            extra = [
                (n("X-RateLimit-Category"), "Heavy"),
                (n("X-RateLimit-Limit"), str(self.cfg.daily_limit)),
                (n("X-RateLimit-Remaining"), str(remaining)),
            ]
        reply = _json(200, page, extra)
        reply.page = page
        return reply

    def _query(self, endpoint: str, query: str, now: datetime):
        q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        today = now.astimezone(UTC).date()
        raw_from, raw_to = q.get("from") or "", q.get("to") or ""
        if endpoint != "activities" and not (raw_from and raw_to):
            raise _BadRequest("The from and to dates are required.")
        try:
            until = parse_day(raw_to) if raw_to else today
        except ValueError:
            raise _BadRequest("Invalid date format for 'to'; use yyyy-mm-dd.") from None
        try:
            since = parse_day(raw_from) if raw_from else until
        except ValueError:
            raise _BadRequest("Invalid date format for 'from'; use yyyy-mm-dd.") from None
        if until < since:
            raise _BadRequest("The 'to' date cannot be earlier than the 'from' date.")
        if until > add_months(since, 1):
            raise _BadRequest("The date range cannot exceed one month.")
        if since < add_months(today, -6):
            raise _BadRequest("Report data is only available for the last six months.")

        raw_size = q.get("page_size") or ""
        try:
            size = int(raw_size) if raw_size else DEFAULT_PAGE_SIZE
        except ValueError:
            raise _BadRequest("Invalid page_size.") from None
        if size < 1:
            raise _BadRequest("Invalid page_size.")
        size = min(size, MAX_PAGE_SIZE)

        # `category` names the filter inside page tokens; `select` is the filter itself.
        category, select = "all", None
        if endpoint == "operationlogs":
            category = (q.get("category_type") or "all").lower()
            if category not in CATEGORY_FILTERS:
                raise _BadRequest(f"Invalid category_type: {q.get('category_type')}.")
            if category != "all":
                select = _operation_select(category)
        elif endpoint == "meeting_activities":
            category, select = _meeting_select(q)

        offset = 0
        token = q.get("next_page_token") or ""
        if token:
            if self.faults.take_page_token_expiry():
                raise _BadRequest(PAGE_TOKEN_ERROR)
            decoded = self.page_tokens.decode(token)
            if decoded is None:
                raise _BadRequest(PAGE_TOKEN_ERROR)
            t_endpoint, t_from, t_to, t_category, offset, issued = decoded
            if (t_endpoint, t_from, t_to, t_category) != (endpoint, since.isoformat(), until.isoformat(), category):
                raise _BadRequest(PAGE_TOKEN_ERROR)
            if now.timestamp() - issued > self.cfg.page_token_ttl:
                raise _BadRequest(PAGE_TOKEN_ERROR)
        return since, until, size, category, select, offset

    def _arrive(self, kind: str, store: RecordStore, ts: int) -> None:
        """`n` new records at `ts` (store units), inserted at the head of their day."""
        n = self.cfg.arrivals_per_request
        with self._lock:
            first = self._arrivals
            self._arrivals += n
        store.add_at(ts, [self.generator.arrival(kind, ts, first + i) for i in range(n)])


def _operation_select(category: str) -> Select:
    return category, lambda r: category_key(r["category_type"]) == category


def _meeting_select(q: dict) -> tuple[str, Select | None]:
    """The meeting report's filters: (their name inside page tokens, the record filter).

    `activity_type` (required) is an enum name, any case, or its numeric code;
    `meeting_number` is digits and matches a record's number without its spaces;
    `search_key` is a case-insensitive substring of the operator's name or email."""
    raw_type = q.get("activity_type")
    if raw_type is None or not raw_type.strip():
        raise _BadRequest("The activity_type is required.")
    try:
        wanted = ACTIVITY_TYPES[raw_type.strip().lower()]
    except KeyError:
        raise _BadRequest(f"Invalid activity_type: {raw_type}.") from None
    number = q.get("meeting_number") or ""
    if number and not (number.isascii() and number.isdigit()):
        raise _BadRequest(f"Invalid meeting_number: {number}.")
    search = (q.get("search_key") or "").lower()
    name = ",".join(quote(part, safe="") for part in (wanted or "all", number, search))
    if wanted is None and not number and not search:
        return name, None

    def match(r: dict) -> bool:
        return (
            (wanted is None or meeting_category(r) == wanted)
            and (not number or r["meeting_number"].replace(" ", "") == number)
            and (not search or search in r["operator"].lower() or search in r["operator_email"].lower())
        )

    return name, (name, match)


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _basic(value: str | None) -> tuple[str | None, str]:
    if not value:
        return None, ""
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None, ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, ""
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else (None, "")
