"""The NDJSON lines the collector writes for records, byte for byte.

The emulator may import nothing of the collector (tests/test_layout.py), so the three rules
are restated here and tests/test_orgsim.py checks them against `collector.records` and
`collector.output.render`: the fingerprint is blake2b-128 of the record as compact JSON with
sorted keys; `record_id` is blake2b-128 of (account, log type, fingerprint, occurrence) where
the occurrence counts identical records of the same UTC day from 1 (the day of `time`, or of
`activity_time` for meeting activity); a line is the record's
own fields plus `log_type`, `account` and `record_id`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import orjson

from ..meetings import KIND as MEETING_KIND

DEFAULT_ACCOUNT = "default"  # the collector's account name when configured from the environment


def fingerprint(record: dict) -> bytes:
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def record_id(account: str, log_type: str, fp: bytes, occurrence: int) -> str:
    key = b"%s\x00%s\x00%s%s" % (account.encode("utf-8"), log_type.encode("ascii"), fp, occurrence.to_bytes(4, "big"))
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def record_ids(records: Iterable[tuple[str, dict]], account: str = DEFAULT_ACCOUNT) -> list[str]:
    """The collector's id of each (log type, record), numbering repeats within a UTC day."""
    seen: dict[tuple[str, str, bytes], int] = {}
    out = []
    for log_type, record in records:
        fp = fingerprint(record)
        day = record["activity_time"][:10] if log_type == MEETING_KIND else record["time"][:10]
        key = (log_type, day, fp)
        n = seen[key] = seen.get(key, 0) + 1
        out.append(record_id(account, log_type, fp, n))
    return out


def render(record: dict, log_type: str, account: str, rid: str) -> bytes:
    line = {**record, "log_type": log_type, "account": account, "record_id": rid}
    return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
