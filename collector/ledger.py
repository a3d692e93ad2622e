"""The de-duplication ledger and checkpoint, in one SQLite file.

For every (log type, UTC day, record fingerprint) it keeps how many occurrences
were already written. A pass over a window counts occurrences again and writes
only those beyond the ledger's count, so true repeats survive and re-reads,
overlapping windows and restarts add nothing. Changes are buffered and applied
in one transaction by ``commit()``, which the caller runs only after the lines
they cover were written and flushed.

SQLite gives atomic commits, bounded memory and incremental updates; WAL mode with
``synchronous=NORMAL`` survives a killed process at every instruction (a power
loss may roll back the last commits, which can only repeat lines, never lose them).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import date
from pathlib import Path

from .errors import StateError
from .records import UNDATED

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (
    log_type TEXT NOT NULL, day TEXT NOT NULL, fp BLOB NOT NULL,
    count INTEGER NOT NULL, touched TEXT NOT NULL,
    PRIMARY KEY (log_type, day, fp)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settled (
    log_type TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (log_type, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cursor (log_type TEXT PRIMARY KEY, last_poll_day TEXT NOT NULL);
"""


class Ledger:
    def __init__(self, path: Path, account: str, today: date):
        self.path = Path(path)
        self.account = account
        self._today = today.isoformat()
        self._days: dict[tuple[str, str], dict[bytes, int]] = {}
        self._pending: dict[tuple[str, str, bytes], int] = {}
        self._lock_fd = None
        self._db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._take_lock()
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_meta()
        except sqlite3.DatabaseError as exc:
            self._release_lock()
            raise StateError(f"state file {self.path}: not a readable state database ({exc})") from None
        except OSError as exc:
            self._release_lock()
            raise StateError(f"state file {self.path}: {exc.strerror or exc}") from None
        except StateError:
            if self._db is not None:
                self._db.close()
            self._release_lock()
            raise

    # -- lifecycle -------------------------------------------------------------------
    def _take_lock(self) -> None:
        # Two collectors on one state would each emit the same records.
        lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise StateError(f"state file {self.path} is in use by another collector") from None

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _check_meta(self) -> None:
        rows = dict(self._db.execute("SELECT key, value FROM meta"))
        if not rows:
            with self._tx():
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema", SCHEMA_VERSION), ("account", self.account)],
                )
            return
        if rows.get("schema") != SCHEMA_VERSION:
            raise StateError(f"state file {self.path}: schema {rows.get('schema')!r} is not {SCHEMA_VERSION!r}")
        if rows.get("account") != self.account:
            raise StateError(
                f"state file {self.path} belongs to account {rows.get('account')!r}, not {self.account!r}"
            )

    def close(self) -> None:
        self._db.close()
        self._release_lock()

    def _tx(self):
        return _Transaction(self._db)

    # -- counts ----------------------------------------------------------------------
    def day_counts(self, log_type: str, day: str) -> dict[bytes, int]:
        """Occurrences already written per fingerprint for one day (cached, includes pending)."""
        key = (log_type, day)
        counts = self._days.get(key)
        if counts is None:
            counts = dict(
                self._db.execute("SELECT fp, count FROM seen WHERE log_type = ? AND day = ?", key)
            )
            self._days[key] = counts
        return counts

    def set_count(self, log_type: str, day: str, fp: bytes, count: int) -> None:
        self.day_counts(log_type, day)[fp] = count
        self._pending[(log_type, day, fp)] = count

    def release_day(self, log_type: str, day: str) -> None:
        """Drop a day's cache to bound memory; safe only once its changes are committed."""
        if not any(k[0] == log_type and k[1] == day for k in self._pending):
            self._days.pop((log_type, day), None)

    def commit(self) -> None:
        """Apply buffered counts atomically. Call only after their lines are flushed."""
        if not self._pending:
            return
        rows = [(lt, day, fp, n, self._today) for (lt, day, fp), n in self._pending.items()]
        with self._tx():
            self._db.executemany(
                "INSERT INTO seen VALUES (?, ?, ?, ?, ?) ON CONFLICT (log_type, day, fp) "
                "DO UPDATE SET count = excluded.count, touched = excluded.touched",
                rows,
            )
        self._pending.clear()

    def discard_pending(self) -> None:
        """Forget counts whose lines never reached the output (the reader went away)."""
        for lt, day, _fp in self._pending:
            self._days.pop((lt, day), None)
        self._pending.clear()

    # -- progress --------------------------------------------------------------------
    def mark_settled(self, log_type: str, days: list[str]) -> None:
        with self._tx():
            self._db.executemany(
                "INSERT OR IGNORE INTO settled VALUES (?, ?)", [(log_type, d) for d in days]
            )

    def settled_days(self, log_type: str) -> set[str]:
        return {d for (d,) in self._db.execute("SELECT day FROM settled WHERE log_type = ?", (log_type,))}

    def last_poll_day(self, log_type: str) -> date | None:
        row = self._db.execute("SELECT last_poll_day FROM cursor WHERE log_type = ?", (log_type,)).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def set_last_poll_day(self, log_type: str, day: date) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO cursor VALUES (?, ?) ON CONFLICT (log_type) DO UPDATE SET "
                "last_poll_day = max(last_poll_day, excluded.last_poll_day)",
                (log_type, day.isoformat()),
            )

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx():
            self._db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (key, value))

    def prune(self, oldest: date) -> int:
        """Forget days Zoom no longer serves (and undated records unseen since then)."""
        cutoff = oldest.isoformat()
        with self._tx():
            cur = self._db.execute(
                "DELETE FROM seen WHERE (day < ? AND day != ?) OR (day = ? AND touched < ?)",
                (cutoff, UNDATED, UNDATED, cutoff),
            )
            self._db.execute("DELETE FROM settled WHERE day < ?", (cutoff,))
        self._days.clear()
        return cur.rowcount

    def total_counts(self) -> dict[str, int]:
        """Occurrences written per log type (for health lines and tests)."""
        return dict(self._db.execute("SELECT log_type, sum(count) FROM seen GROUP BY log_type"))


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
