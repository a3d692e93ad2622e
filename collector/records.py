"""What identifies a Zoom record: its UTC day, its fingerprint, its occurrence id.

Zoom's records carry no id and two identical records can both be real (true
repeats). A record is therefore identified by its content (the fingerprint) plus
which occurrence of that content on its UTC day it is: the n-th identical record
of a day always gets the same ``record_id``, on every run and every machine.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import orjson

LOG_TYPES = ("activity", "operation", "meeting_activity")
UNDATED = "undated"

_ZULU = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# The meeting report's `activity_time`: "2024-03-21 07:09:03:216" (UTC, milliseconds after a colon)
_MEETING = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}")
# Its tolerated variants: no milliseconds, a dot, fewer digits
_MEETING_LOOSE = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:([:.])(\d{1,3}))?")


def utc_time(record: dict) -> str | None:
    """The record's time normalised, or None if absent/unparsable.

    `time` (sign-in and operation reports) gives 'YYYY-MM-DDTHH:MM:SSZ'; the meeting
    report's `activity_time` gives 'YYYY-MM-DDTHH:MM:SS.mmmZ' (always three digits,
    so string order is time order within that report).
    """
    value = record.get("time")
    if value is None:
        value = record.get("activity_time")
        return _meeting_time(value) if isinstance(value, str) else None
    if not isinstance(value, str):
        return None
    if _ZULU.match(value):
        return value  # Zoom's documented shape: the fast path
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Zoom documents UTC
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meeting_time(value: str) -> str | None:
    if _MEETING.fullmatch(value):
        return f"{value[:10]}T{value[11:19]}.{value[20:]}Z"  # Zoom's documented shape: the fast path
    loose = _MEETING_LOOSE.fullmatch(value)
    if loose:
        day, clock, mark, digits = loose.groups()
        if not digits:
            digits = "000"
        elif mark == ":":
            digits = digits.rjust(3, "0")  # after a colon, a count of milliseconds: ":5" is 5 ms
        else:
            digits = digits.ljust(3, "0")  # after a dot, a fraction of a second: ".5" is 500 ms
        return f"{day}T{clock}.{digits}Z"
    if value[19:20] == ":":
        return None  # a colon after the seconds is Zoom's millisecond mark: anything else there is garbage
    try:
        parsed = datetime.fromisoformat(value)  # anything else ISO 8601 (an offset, microseconds)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Zoom documents its report times as UTC
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def utc_day(record: dict) -> str:
    """The UTC day ('YYYY-MM-DD') the record belongs to, or 'undated'."""
    time = utc_time(record)
    return time[:10] if time else UNDATED


def fingerprint(record: dict) -> bytes:
    """16-byte digest of the record's content, independent of key order.

    The canonical form is compact JSON with sorted keys in UTF-8 (the same bytes as
    ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` for
    Zoom's string fields); orjson makes it about 15 times cheaper on the hot path.
    """
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def record_id(account: str, log_type: str, fp: bytes, occurrence: int) -> str:
    """Deterministic id of the `occurrence`-th (1-based) identical record of its day."""
    key = b"%s\x00%s\x00%s%s" % (account.encode("utf-8"), log_type.encode("ascii"), fp, occurrence.to_bytes(4, "big"))
    return hashlib.blake2b(key, digest_size=16).hexdigest()
