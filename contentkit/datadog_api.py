"""A small Datadog API client for the push scripts: sites, keys, 429s, one-line errors.

Keys travel only in request headers; no message, log line or exception holds them.
"""

from __future__ import annotations

import os
import random
import time

import httpx

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


class DatadogError(Exception):
    exit_code = 4


class DatadogUsageError(DatadogError):
    exit_code = 2


class DatadogAuthError(DatadogError):
    exit_code = 3


def base_url(site: str | None, api_url: str | None) -> str:
    if api_url:
        parsed = httpx.URL(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise DatadogUsageError(f"--api-url: {api_url!r} is not an http(s) URL")
        return api_url.rstrip("/")
    site = (site or "datadoghq.com").strip().lower()
    if site not in SITES:
        raise DatadogUsageError(f"DD_SITE: {site!r} is not a Datadog site (one of: {', '.join(SITES)})")
    return f"https://api.{site}"


class DatadogClient:
    def __init__(
        self,
        api_key: str,
        app_key: str,
        url: str,
        http: httpx.Client | None = None,
        sleep=None,
        attempts: int = 5,
        permission: str = "the needed write permission",
    ):
        self.url = url
        self._http = http or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
        self._headers = {"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key, "Accept": "application/json"}
        self._sleep = sleep or time.sleep
        self._attempts = attempts
        self._permission = permission
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

    def request(self, method: str, path: str, json=None, params=None):
        """(status, parsed body or None). Retries 429 (X-RateLimit-Reset), 5xx and network errors."""
        last = ""
        for attempt in range(self._attempts):
            try:
                response = self._http.request(method, self.url + path, json=json, params=params, headers=self._headers)
            except httpx.TransportError as exc:
                last = f"cannot reach {self.url} ({type(exc).__name__})"
                self._sleep(min(30.0, 2**attempt) * (0.5 + random.random() / 2))
                continue
            status = response.status_code
            if status == 429:
                reset = response.headers.get("X-RateLimit-Reset")
                try:
                    wait = max(1.0, float(reset))
                except (TypeError, ValueError):
                    wait = min(30.0, 2**attempt)
                last = "rate limited (429)"
                self._sleep(wait)
                continue
            if status >= 500:
                last = f"HTTP {status}"
                self._sleep(min(30.0, 2**attempt) * (0.5 + random.random() / 2))
                continue
            body = _json(response)
            if status in (401, 403):
                raise DatadogAuthError(
                    f"Datadog refused the keys ({status}: {_errors(body)}): check DD_API_KEY / DD_APP_KEY, "
                    f"DD_SITE, and that the application key has {self._permission}"
                )
            if method != "GET" and status < 300:
                self.writes += 1 if "/validation" not in path and not path.endswith("/test") else 0
            return status, body
        raise DatadogError(f"Datadog API {self.url} failed after {self._attempts} attempts: {last}")


def _json(response: httpx.Response):
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _errors(body) -> str:
    if isinstance(body, dict) and body.get("errors"):
        return "; ".join(
            str(e) if not isinstance(e, dict) else str(e.get("detail") or e.get("title") or e) for e in body["errors"]
        )
    return "no details"
