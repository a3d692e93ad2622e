"""What identifies a Zoom record: its UTC day, its fingerprint, its occurrence id.

Zoom's records carry no id and two identical records can both be real (true
repeats). A record is therefore identified by its content (the fingerprint) plus
which occurrence of that content on its UTC day it is: the n-th identical record
of a day always gets the same ``record_id``, on every run and every machine.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone

LOG_TYPES = ("activity", "operation")
UNDATED = "undated"

_ZULU = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def utc_time(record: dict) -> str | None:
    """The record's time normalised to 'YYYY-MM-DDTHH:MM:SSZ', or None if absent/unparsable."""
    value = record.get("time")
    if not isinstance(value, str):
        return None
    if _ZULU.match(value):
        return value  # Zoom's documented shape: the fast path
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # Zoom documents UTC
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day(record: dict) -> str:
    """The UTC day ('YYYY-MM-DD') the record belongs to, or 'undated'."""
    time = utc_time(record)
    return time[:10] if time else UNDATED


def fingerprint(record: dict) -> bytes:
    """16-byte digest of the record's content, independent of key order."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).digest()


def record_id(account: str, log_type: str, fp: bytes, occurrence: int) -> str:
    """Deterministic id of the `occurrence`-th (1-based) identical record of its day."""
    h = hashlib.blake2b(digest_size=16)
    h.update(account.encode("utf-8"))
    h.update(b"\x00")
    h.update(log_type.encode("ascii"))
    h.update(b"\x00")
    h.update(fp)
    h.update(occurrence.to_bytes(4, "big"))
    return h.hexdigest()
