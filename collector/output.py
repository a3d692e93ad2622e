"""NDJSON output: one Zoom record per line, on stdout or appended to a file.

Each line is the record's own fields unchanged plus `log_type`, `account` and
`record_id`. A batch is written and flushed (and fsynced for files) before the
ledger commits it; if the reader went away, the batch is not committed.
"""

from __future__ import annotations

import logging
import os
import threading
import sys
from typing import BinaryIO

import orjson

log = logging.getLogger("zoom-activity-logs")

from .errors import OutputClosed, UsageError


def render(record: dict, log_type: str, account: str, rid: str) -> bytes:
    line = {**record, "log_type": log_type, "account": account, "record_id": rid}
    return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)


class Sink:
    def __init__(self, stream: BinaryIO, durable: bool):
        self._stream = stream
        self._durable = durable  # fsync regular files so a power loss can't lose committed lines
        self._lock = threading.Lock()
        self.lines = 0

    @classmethod
    def stdout(cls) -> "Sink":
        return cls(sys.stdout.buffer, durable=False)

    @classmethod
    def file(cls, path: str) -> "Sink":
        try:
            _drop_partial_last_line(path)
            stream = open(path, "ab")
        except OSError as exc:
            raise UsageError(f"--output: cannot open {path}: {exc.strerror}") from None
        return cls(stream, durable=True)

    def write_batch(self, lines: list[bytes]) -> None:
        if not lines:
            return
        try:
            with self._lock:  # accounts collected in parallel share one output
                self._stream.write(b"".join(lines))
                self._stream.flush()
                if self._durable:
                    os.fsync(self._stream.fileno())
        except (BrokenPipeError, ConnectionResetError):
            raise OutputClosed("the reader of the output went away; state kept at the last delivered batch") from None
        except OSError as exc:
            raise OutputClosed(f"cannot write output: {exc.strerror}") from None
        self.lines += len(lines)

    def close(self) -> None:
        try:
            self._stream.flush()
            if self._durable:  # our own file; stdout belongs to the process
                self._stream.close()
        except OSError:
            pass


def _drop_partial_last_line(path: str) -> None:
    """A crash mid-write can leave half a line; its record was never committed,
    so it is written again whole: cut the half line rather than glue JSON to it."""
    try:
        f = open(path, "r+b")
    except FileNotFoundError:
        return
    with f:
        size = f.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            chunk = f.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            f.truncate(keep)
            log.warning("--output %s: removed a partial last line (%d bytes) left by an interrupted write",
                        path, size - keep)
