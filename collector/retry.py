"""Waiting policy for Zoom's answers: Retry-After in all its shapes, and back-off.

Waits go through a stop event so that Ctrl-C / SIGTERM ends a long wait at once.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from .errors import CollectorError

MAX_RATE_LIMIT_WAIT = 86400.0 + 60.0  # a day, plus a minute of clock skew


class Stopped(CollectorError):
    """A stop was requested (signal); the caller unwinds at a safe point."""

    exit_code = 130

    def __init__(self):
        super().__init__("stopped on request; state is consistent")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: seconds, ISO 8601 time, or HTTP date.

    Zoom sends seconds on the per-second limit and an ISO timestamp on the daily
    limit; an unreadable value returns None so the caller falls back to back-off.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    when = None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def seconds_to_next_utc_midnight(now: datetime) -> float:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


@dataclass
class Backoff:
    """Exponential back-off with full jitter, capped; attempts bounded by the caller."""

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * (2**attempt))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


class Waiter:
    """Sleeps that a stop request interrupts."""

    def __init__(self, stop: threading.Event | None = None):
        self.stop = stop or threading.Event()
        self.total_slept = 0.0

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.total_slept += seconds
            if self.stop.wait(seconds):
                raise Stopped()
        elif self.stop.is_set():
            raise Stopped()

    def check(self) -> None:
        if self.stop.is_set():
            raise Stopped()

    def monotonic(self) -> float:
        """The clock that sleeps advance (a test waiter fakes both)."""
        return time.monotonic()


def rate_limit_delay(headers, attempt: int, backoff: Backoff, now: datetime | None = None) -> tuple[float, str]:
    """How long to wait after a 429, and which limit it was ('QPS', 'Daily-limit', ...).

    `headers` must be case-insensitive (httpx's are): Zoom's names arrive in any case.
    Retry-After wins; a daily limit without it waits for 00:00 UTC, when Zoom resets
    the daily cap; anything else backs off.
    """
    now = now or datetime.now(UTC)
    kind = headers.get("X-RateLimit-Type") or "unknown"
    wait = parse_retry_after(headers.get("Retry-After"), now)
    if wait is not None and wait <= 0:
        # A Retry-After already past (clock skew, a repeated daily reset time)
        # must not turn into back-to-back requests.
        wait = backoff.delay(attempt)
    if wait is None:
        if kind.lower().startswith("daily"):
            wait = seconds_to_next_utc_midnight(now)
        else:
            wait = backoff.delay(attempt)
    # Zoom's caps reset daily at 00:00 UTC: a longer Retry-After (a typo, a
    # hostile proxy, a date years ahead) would hang the collector for nothing.
    return min(wait, MAX_RATE_LIMIT_WAIT), kind
