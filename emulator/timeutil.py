"""Small UTC date/time helpers shared by the generator, the store and the server."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86400

# "HH:MM:SS" for every second of a day; built once because formatting a million
# timestamps one by one is a visible share of generation time.
_HMS: list[str] = []


def hms_table() -> list[str]:
    global _HMS
    if not _HMS:
        # Built aside and published in one assignment, so no thread sees a partial table.
        _HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]
    return _HMS


def day_start(d: date) -> int:
    """Epoch seconds of 00:00:00 UTC on `d`."""
    return (d.toordinal() - _EPOCH_ORDINAL) * DAY


def day_of(ts: int) -> date:
    return date.fromordinal(ts // DAY + _EPOCH_ORDINAL)


def format_ts(ts: int) -> str:
    """RFC 3339, second precision, trailing Z: the shape Zoom uses for `time`."""
    return f"{day_of(ts).isoformat()}T{hms_table()[ts % DAY]}Z"


def format_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> int:
    """Epoch seconds of an RFC 3339 time; naive times are taken as UTC."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() // 1)


def add_months(d: date, months: int) -> date:
    """Calendar month arithmetic, clamping to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def parse_day(text: str) -> date:
    """Strict yyyy-mm-dd (fromisoformat alone would also accept 20240101)."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(text)
    return date.fromisoformat(text)


def next_midnight(now: datetime) -> datetime:
    today = now.astimezone(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
