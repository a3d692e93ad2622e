"""NDJSON output: one Zoom record per line, on stdout or appended to a file.

Each line is the record's own fields unchanged plus `log_type`, `account` and
`record_id`. A batch is written and flushed (and fsynced for files) before the
ledger may commit it. The sink counts the bytes it wrote and tells how many the
reader has taken (`delivered`): everything, for a file; for a pipe on Linux,
what was written less what still sits unread in the pipe (FIONREAD), so a reader
that dies with lines in the pipe never has them counted as delivered.
"""

from __future__ import annotations

import array
import fcntl
import logging
import os
import select
import stat
import sys
import termios
import threading
import time
from collections.abc import Callable
from itertools import accumulate
from typing import BinaryIO

import orjson

from .errors import OutputClosed, UsageError

log = logging.getLogger("zoom-activity-logs")

READER_GONE = "the reader of the output went away; state kept at the last delivered line"


def render(record: dict, log_type: str, account: str, rid: str) -> bytes:
    line = {**record, "log_type": log_type, "account": account, "record_id": rid}
    return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)


def _pipe_fd(stream: BinaryIO) -> int | None:
    """The descriptor, if the stream is a pipe whose unread bytes Linux can tell."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fd = stream.fileno()
        return fd if stat.S_ISFIFO(os.fstat(fd).st_mode) else None
    except (OSError, ValueError, AttributeError):
        return None


def _is_regular_file(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False


class Sink:
    def __init__(self, stream: BinaryIO, durable: bool, owned: bool = False):
        self._stream = stream
        self._owned = owned  # our own --output file, closed with the sink
        self._durable = durable  # fsync regular files so a power loss can't lose committed lines
        self._pipe = _pipe_fd(stream)
        self._lock = threading.Lock()
        self.lines = 0
        self.written = 0  # bytes written and flushed so far

    @classmethod
    def stdout(cls) -> Sink:
        # stdout redirected to a file is a file: fsync it like --output
        return cls(sys.stdout.buffer, durable=_is_regular_file(sys.stdout.buffer))

    @classmethod
    def file(cls, path: str) -> Sink:
        try:
            _drop_partial_last_line(path)
            stream = open(path, "ab")
        except OSError as exc:
            raise UsageError(f"--output: cannot open {path}: {exc.strerror}") from None
        return cls(stream, durable=True, owned=True)

    def write_batch(self, lines: list[bytes], on_offsets: Callable[[list[int]], None] | None = None) -> None:
        """Write and flush the lines. `on_offsets` first learns the output offset at which
        each line will end (so counts can wait for the reader to get that far)."""
        if not lines:
            return
        try:
            with self._lock:  # accounts collected in parallel share one output
                ends = list(accumulate(map(len, lines), initial=self.written))[1:]
                if on_offsets is not None:
                    on_offsets(ends)
                self._write_all(b"".join(lines))
                if self._durable:
                    os.fsync(self._stream.fileno())
        except (BrokenPipeError, ConnectionResetError):
            raise OutputClosed(READER_GONE) from None
        except OSError as exc:
            raise OutputClosed(f"cannot write output: {exc.strerror}") from None
        self.lines += len(lines)

    def _write_all(self, data: bytes) -> None:
        if self._pipe is None:
            self._stream.write(data)
            self._stream.flush()
            self.written += len(data)
            return
        # Straight to the pipe, counting each accepted chunk: when the reader goes
        # away mid-batch, the lines it took before are still known to be delivered.
        self._stream.flush()
        view = memoryview(data)
        while view:
            n = os.write(self._pipe, view)
            self.written += n
            view = view[n:]

    def delivered(self) -> int:
        """Bytes the reader has taken: written less what is still unread in the pipe."""
        if self._pipe is None:
            return self.written
        with self._lock:
            unread = array.array("i", [0])
            try:
                fcntl.ioctl(self._pipe, termios.FIONREAD, unread)
            except OSError:
                return self.written
            return self.written - unread[0]

    def reader_gone(self) -> bool:
        if self._pipe is None:
            return False
        poll = select.poll()
        poll.register(self._pipe, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))

    def wait_delivered(self, offset: int, timeout: float | None = None, check=None) -> bool:
        """Wait until the reader has taken every byte up to `offset`. False on timeout;
        OutputClosed if the reader went away first. `check` may raise to stop waiting."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.001
        while self.delivered() < offset:
            if self.reader_gone():
                raise OutputClosed(READER_GONE)
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if check is not None:
                check()
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        return True

    def close(self) -> None:
        try:
            self._stream.flush()
            if self._owned:  # stdout belongs to the process
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
            log.warning(
                "--output %s: removed a partial last line (%d bytes) left by an interrupted write", path, size - keep
            )
