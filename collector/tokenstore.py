"""The token file of an authorization-code account: written atomically, mode 0600.

Zoom rotates refresh tokens: every refresh returns a new one and the old one stops
working at once. Losing the newest refresh token means a person must authorize
again, so a new pair is on disk (temporary file, fsync, rename, fsync of the
directory) before its access token is used. A kill at any instant leaves either
the old file or the new one, never a torn one. A lock file serialises refreshes
between processes that share the file (the collector and `authorize`).
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from contextlib import contextmanager
from pathlib import Path

import orjson

from .errors import StateError

FORMAT_VERSION = 1
REQUIRED = ("refresh_token", "client_id")


class TokenStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def _finish_interrupted_save(self) -> None:
        """A complete temporary file is a pair Zoom issued after the one in place (it is
        written only once Zoom has answered a refresh), left by a process killed before
        its rename: finish that rename, or the newest refresh token would be lost."""
        newest, newest_at = None, -1
        for tmp in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            try:
                data = orjson.loads(tmp.read_bytes())
                complete = isinstance(data, dict) and all(isinstance(data.get(k), str) for k in REQUIRED)
            except (OSError, orjson.JSONDecodeError):
                complete = False
            if complete and int(data.get("saved_at", 0)) >= newest_at:
                if newest is not None:
                    newest.unlink(missing_ok=True)
                newest, newest_at = tmp, int(data.get("saved_at", 0))
            else:
                tmp.unlink(missing_ok=True)  # torn by the kill: Zoom's answer is in the complete one, if any
        if newest is not None:
            with open(newest, "rb") as f:
                os.fsync(f.fileno())
            os.replace(newest, self.path)

    def load(self) -> dict:
        """The stored tokens; StateError (one line, naming the file) when unusable."""
        self._finish_interrupted_save()
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise StateError(f"{self.path}: no token file; run `zoom-activity-logs authorize` first") from None
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read the token file: {exc.strerror}") from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            # like ssh: a refresh token others can read is a leaked credential
            raise StateError(
                f"{self.path}: token file is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); "
                "run chmod 600 on it"
            )
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            raise StateError(
                f"{self.path}: token file is not valid JSON; run `zoom-activity-logs authorize` again"
            ) from None
        if not isinstance(data, dict) or any(not isinstance(data.get(k), str) or not data[k] for k in REQUIRED):
            raise StateError(
                f"{self.path}: token file lacks {', '.join(REQUIRED)}; run `zoom-activity-logs authorize` again"
            )
        return data

    def save(self, tokens: dict, *, _crash=None) -> None:
        """Replace the file atomically and durably. `_crash(point)` is a test hook."""
        crash = _crash or (lambda point: None)
        data = dict(tokens, version=FORMAT_VERSION, saved_at=int(time.time()))
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a leftover file
            os.write(fd, orjson.dumps(data, option=orjson.OPT_INDENT_2))
            crash("written")
            os.fsync(fd)
        finally:
            os.close(fd)
        crash("synced")
        os.replace(tmp, self.path)
        crash("renamed")
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power loss
        finally:
            os.close(dir_fd)

    @contextmanager
    def locked(self):
        """Hold the file's refresh lock (blocks while another process refreshes)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def state_dir() -> Path:
    """Where an account's state and token files go by default ($XDG_STATE_HOME)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "zoom-activity-logs"


def default_token_path(account: str) -> Path:
    return state_dir() / f"{account}.tokens.json"
