"""Date arithmetic for Zoom's report windows.

Zoom filters reports by UTC day only, one request may span at most one month, and
data older than six months is gone. Backfills are cut into month windows; follow
mode re-reads the last few days.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from .errors import UsageError

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RETENTION_MONTHS = 6


def utc_today() -> date:
    return datetime.now(UTC).date()


def parse_day(text: str, field: str) -> date:
    """Parse YYYY-MM-DD or raise a UsageError naming the field."""
    if not isinstance(text, str) or not _DAY.match(text.strip()):
        raise UsageError(f"{field}: {text!r} is not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{field}: {text!r} is not a valid calendar date") from None


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later (or earlier), clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def oldest_readable(today: date) -> date:
    """The oldest day Zoom still serves: six calendar months before today."""
    return add_months(today, -RETENTION_MONTHS)


def month_windows(since: date, until: date) -> list[tuple[date, date]]:
    """Cut [since, until] into windows of at most one month, oldest first.

    A window [a, b] keeps b < a + 1 month, which stays inside Zoom's limit
    whichever way Zoom counts a month.
    """
    windows = []
    start = since
    while start <= until:
        end = min(until, add_months(start, 1) - timedelta(days=1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def check_backfill_range(since: date, until: date, today: date) -> None:
    if since > today:
        raise UsageError(f"--since: {since} is in the future (today is {today} UTC)")
    if until > today:
        raise UsageError(f"--until: {until} is in the future (today is {today} UTC)")
    if until < since:
        raise UsageError(f"--until: {until} is before --since {since}")
    oldest = oldest_readable(today)
    if since < oldest:
        raise UsageError(
            f"--since: {since} is older than Zoom keeps reports (six months: the oldest readable day is {oldest})"
        )


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
