"""A small Datadog API client for the push scripts: sites, keys, paging, retries, one-line errors.

Keys travel only in request headers; no message, log line or exception holds them.
Every answer the scripts read is checked for the shape Datadog's OpenAPI description
gives it (contentkit/data/openapi/ holds the slices used) before it is used, so an
HTML page, a truncated body or JSON of another shape ends the run with one line.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import httpx
import yaml

SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
)

DEFAULT_TIMEOUT = 30.0  # seconds one request waits for Datadog's answer (--timeout)
MAX_RATE_LIMIT_WAIT = 600.0  # seconds: a 429 whose X-RateLimit-Reset asks for longer is refused, not slept through
ATTEMPTS = 5  # tries of one request through 429s, 5xx and broken connections
PAGE_SIZE = 100  # the largest page both paged listings serve (ListDashboards `count`, rules `page[size]`)
# where a paged listing gives its total: Pagination (rules), SecurityMonitoringSuppressionsPageMeta
RULES_TOTAL = ("total_filtered_count", "total_count")
SUPPRESSIONS_TOTAL = ("totalCount",)
MAX_PAGES = 10_000  # a listing longer than this is a server that ignores the paging parameters

EXITS = f"""\
exit status:
  0  done (or nothing to do)
  1  content problem (the repository's checks, a corrupt --dir) or Datadog refused the content
  2  usage: bad option, DD_API_KEY/DD_APP_KEY missing, unknown DD_SITE, bad --api-url
  3  Datadog refused the keys (401/403)
  4  Datadog API failure: an error status, no answer within --timeout, retries used up,
     or a rate limit reset longer than {MAX_RATE_LIMIT_WAIT:g} s
  5  the answer is not Datadog's API: not JSON (an HTML page, a truncated body) or JSON of
     another shape than Datadog's OpenAPI description gives it
"""


class DatadogError(Exception):
    exit_code = 4


class DatadogUsageError(DatadogError):
    exit_code = 2


class DatadogAuthError(DatadogError):
    exit_code = 3


class DatadogAnswerError(DatadogError):
    """An answer that is not what Datadog's API sends: not JSON, or JSON of another shape."""

    exit_code = 5


def base_url(site: str | None, api_url: str | None) -> str:
    if api_url:
        try:
            parsed = httpx.URL(api_url)
        except httpx.InvalidURL:
            raise DatadogUsageError("--api-url: not a URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise DatadogUsageError(f"--api-url: {_safe_url(parsed)!r} is not an http(s) URL")
        if parsed.userinfo or parsed.query or parsed.fragment:
            # it would end up in messages; keys go in DD_API_KEY / DD_APP_KEY only
            raise DatadogUsageError("--api-url: a user, password, query or fragment is not allowed")
        return api_url.rstrip("/")
    site = (site or "datadoghq.com").strip().lower()
    if site not in SITES:
        raise DatadogUsageError(f"DD_SITE: {site!r} is not a Datadog site (one of: {', '.join(SITES)})")
    return f"https://api.{site}"


def _safe_url(url: httpx.URL) -> str:
    return str(url.copy_with(username=None, password=None, query=None, fragment=None))


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0")
    return value


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """--api-url and --timeout, and the exit statuses in --help: the same for every push script."""
    parser.add_argument("--api-url", help="Datadog API base URL (default: https://api.$DD_SITE)")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up a request Datadog has not answered within SECONDS (default {DEFAULT_TIMEOUT:g}); not retried",
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXITS


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class DatadogClient:
    def __init__(
        self,
        api_key: str,
        app_key: str,
        url: str,
        http: httpx.Client | None = None,
        sleep: Callable[[float], object] | None = None,
        attempts: int = ATTEMPTS,
        permission: str = "the needed write permission",
        timeout: float = DEFAULT_TIMEOUT,
        progress: Callable[[str], None] = _stderr,
    ):
        self.url = url
        self.timeout = timeout
        self._http = http or httpx.Client(timeout=httpx.Timeout(timeout))
        self._headers = {"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key, "Accept": "application/json"}
        self._sleep = sleep or time.sleep
        self._attempts = attempts
        self._permission = permission
        self._progress = progress
        self.writes = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @classmethod
    def from_env(cls, api_url: str | None = None, **kw) -> DatadogClient:
        missing = [n for n in ("DD_API_KEY", "DD_APP_KEY") if not os.environ.get(n, "").strip()]
        if missing:
            raise DatadogUsageError(f"{' and '.join(missing)} not set: export a Datadog API key and application key")
        url = base_url(os.environ.get("DD_SITE"), api_url)
        return cls(os.environ["DD_API_KEY"].strip(), os.environ["DD_APP_KEY"].strip(), url, **kw)

    def _wait(self, seconds: float, why: str) -> None:
        self._progress(f"{why}: retrying in {seconds:.0f} s...")
        self._sleep(seconds)

    def request(self, method: str, path: str, json=None, params=None) -> tuple[int, Any]:
        """(status, parsed JSON body or None when empty).

        429 waits for X-RateLimit-Reset (refused beyond MAX_RATE_LIMIT_WAIT); 5xx and broken
        connections are retried with backoff, except for a create (POST), which may have been
        written: that one ends the run, and the next run finds what it wrote by its pack id.
        A request unanswered within the timeout is not retried. A 2xx answer that is not JSON
        raises DatadogAnswerError."""
        what = f"{method} {path}"
        # validation and test POSTs write nothing: safe to send twice
        repeatable = method != "POST" or path.endswith(("/validation", "/test"))
        for attempt in range(self._attempts):
            last = attempt == self._attempts - 1
            backoff = min(30.0, 2.0**attempt) * (0.5 + random.random() / 2)
            try:
                response = self._http.request(method, self.url + path, json=json, params=params, headers=self._headers)
            except httpx.TimeoutException:
                raise DatadogError(
                    f"{what}: no answer from {self.url} within {self.timeout:g} s (--timeout); gave up"
                ) from None
            except httpx.TransportError as exc:
                problem = f"{what}: cannot reach {self.url} ({type(exc).__name__})"
                if not (repeatable or isinstance(exc, httpx.ConnectError)):
                    raise DatadogError(
                        f"{problem} after the request was sent: it may have been written; "
                        "run again (the next run finds it by its pack id)"
                    ) from None
                if last:
                    raise DatadogError(f"{problem}; gave up after {self._attempts} attempts") from None
                self._wait(backoff, problem)
                continue
            status = response.status_code
            if status == 429:
                wait = self._rate_limit_wait(response, attempt, what)
                if last:
                    raise DatadogError(f"{what}: still rate limited (429) after {self._attempts} attempts")
                self._wait(wait, f"{what}: rate limited (429)")
                continue
            if status >= 500:
                if not repeatable:
                    raise DatadogError(
                        f"{what}: HTTP {status}: it may have been written; run again (the next run finds it by its "
                        "pack id)"
                    )
                if last:
                    raise DatadogError(f"{what}: HTTP {status}; gave up after {self._attempts} attempts")
                self._wait(backoff, f"{what}: HTTP {status}")
                continue
            body = _json(response, what, status)
            if status in (401, 403):
                raise DatadogAuthError(
                    f"Datadog refused the keys ({status}: {errors_text(body)}): check DD_API_KEY / DD_APP_KEY, "
                    f"DD_SITE, and that the application key has {self._permission}"
                )
            if method != "GET" and status < 300 and not path.endswith(("/validation", "/test")):
                self.writes += 1
            return status, body
        raise AssertionError("unreachable")  # every last attempt returns or raises

    def _rate_limit_wait(self, response: httpx.Response, attempt: int, what: str) -> float:
        reset = response.headers.get("X-RateLimit-Reset")
        try:
            wait = float(reset) if reset is not None else math.nan
        except ValueError:
            wait = math.nan
        if math.isnan(wait) or wait < 0:
            return min(30.0, 2.0**attempt)
        if wait > MAX_RATE_LIMIT_WAIT:
            name = response.headers.get("X-RateLimit-Name")
            limit = f" ({name[:60]})" if name else ""
            raise DatadogError(
                f"{what}: rate limited (429){limit}, and Datadog asks to wait {_duration(wait)}: more than the "
                f"{MAX_RATE_LIMIT_WAIT:g} s this script waits (MAX_RATE_LIMIT_WAIT); run again later"
            )
        return max(1.0, wait)

    def get(self, path: str, params=None, what: str = "") -> Any:
        """The body of a GET that must answer 200."""
        status, body = self.request("GET", path, params=params)
        if status != 200:
            raise DatadogError(f"{what or 'GET ' + path} failed: HTTP {status}: {errors_text(body)}")
        return body

    def pages_by_number(
        self, path: str, what: str, params: dict | None = None, total_keys: tuple[str, ...] = RULES_TOTAL
    ) -> list[dict]:
        """Every item of a `page[size]`/`page[number]` listing (`data`, total in `meta.page` under the
        first of `total_keys` present: RULES_TOTAL for rules, SUPPRESSIONS_TOTAL for suppressions)."""
        items: list[dict] = []
        seen: set[str] = set()
        for number in range(MAX_PAGES):
            query = {**(params or {}), "page[size]": PAGE_SIZE, "page[number]": number}
            body = expect_object(self.get(path, query, what), what, data=list)
            page = _items(body["data"], f"{what} `data`")
            total = _total(body, what, total_keys)
            _add_page(items, seen, page, what, number)
            if not page or (total is not None and len(items) >= total) or (total is None and len(page) < PAGE_SIZE):
                return items
        raise DatadogAnswerError(f"{what}: more than {MAX_PAGES} pages: the server ignores the paging parameters")

    def pages_by_offset(self, path: str, key: str, what: str, params: dict | None = None) -> list[dict]:
        """Every item of a `count`/`start` listing (ListDashboards): pages until one comes back empty,
        so a server that serves fewer than `count` at a time loses nothing."""
        items: list[dict] = []
        seen: set[str] = set()
        for number in range(MAX_PAGES):
            query = {**(params or {}), "count": PAGE_SIZE, "start": len(items)}
            page = _items(expect_object(self.get(path, query, what), what, **{key: list})[key], f"{what} `{key}`")
            if not page:
                return items
            _add_page(items, seen, page, what, number)
        raise DatadogAnswerError(f"{what}: more than {MAX_PAGES} pages: the server ignores the paging parameters")


def _add_page(items: list[dict], seen: set[str], page: list[dict], what: str, number: int) -> None:
    """Append a page's items not read before (an item can move to the next page while we read);
    a whole page read before means the server ignores the paging parameters."""
    before = len(items)
    for item in page:
        if item["id"] not in seen:
            seen.add(item["id"])
            items.append(item)
    if page and len(items) == before:
        raise DatadogAnswerError(f"{what}: page {number} repeats what was read before: the server ignores paging")


def _total(body: dict, what: str, keys: tuple[str, ...]) -> int | None:
    """The total of a listing in `meta.page` (the first of `keys` present), if it has one."""
    meta = body.get("meta")
    page = expect_object(meta, f"{what} `meta`").get("page") if meta is not None else None
    if page is None:
        return None
    page = expect_object(page, f"{what} `meta.page`")
    for key in keys:
        if page.get(key) is not None:
            return expect_object(page, f"{what} `meta.page`", **{key: int})[key]
    return None


def _items(value: list, what: str) -> list[dict]:
    """A listing's items: each an object with a string `id`."""
    for i, item in enumerate(value):
        expect_object(item, f"{what} item {i}", id=str)
    return value


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit} ({seconds:.0f} s)"
    return f"{seconds:.0f} s"


def _kind(value: Any) -> str:
    if value is None:
        return "null or empty"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


_KINDS = {dict: "an object", list: "a list", str: "a string", int: "an integer", bool: "a boolean"}


def expect_object(body: Any, what: str, **fields: type) -> dict:
    """`body` if it is a JSON object whose named fields are present with those types;
    else DatadogAnswerError naming what is wrong."""
    if not isinstance(body, dict):
        raise DatadogAnswerError(f"{what}: the answer is {_kind(body)} where Datadog sends an object")
    for name, kind in fields.items():
        if name not in body:
            raise DatadogAnswerError(f"{what}: the answer has no `{name}`")
        value = body[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DatadogAnswerError(f"{what}: `{name}` is {_kind(value)} where Datadog sends {_KINDS[kind]}")
    return body


def expect_list(body: Any, what: str) -> list[dict]:
    """`body` if it is a JSON list of objects, each with a string `id`."""
    if not isinstance(body, list):
        raise DatadogAnswerError(f"{what}: the answer is {_kind(body)} where Datadog sends a list")
    return _items(body, what)


def _json(response: httpx.Response, what: str, status: int) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        if status >= 300:
            return None  # an error page: the status says enough
        kind = response.headers.get("Content-Type", "no content type").split(";")[0].strip()[:40]
        raise DatadogAnswerError(
            f"{what}: HTTP {status} but the answer is not JSON ({kind}, {len(response.content)} bytes, "
            "truncated or not Datadog's API): check --api-url / DD_SITE and any proxy"
        ) from None


def errors_text(body: Any) -> str:
    """The messages of an error answer: APIErrorResponse (`errors`, a list) or, from the logs
    configuration endpoints, LogsAPIErrorResponse (`error`, an object with `message`)."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        return "; ".join(
            str(e) if not isinstance(e, dict) else str(e.get("detail") or e.get("title") or e) for e in body["errors"]
        )[:500]
    if isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("message"):
        return str(body["error"]["message"])[:500]
    return "no details"


# -- the contract: slices of Datadog's OpenAPI descriptions ---------------------------------


@cache
def openapi(version: str) -> dict:
    """contentkit/data/openapi/datadog-<version>.yaml: the operations the push scripts call and
    every schema they reference, cut unchanged from Datadog's published descriptions."""
    text = (resources.files("contentkit") / "data" / "openapi" / f"datadog-{version}.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def schema_fields(version: str, name: str) -> frozenset[str]:
    """The property names of one component schema of the slice."""
    return frozenset(openapi(version)["components"]["schemas"][name]["properties"])
