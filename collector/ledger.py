"""The de-duplication ledger and checkpoint, in one SQLite file.

For every (log type, UTC day, record fingerprint) it keeps how many occurrences
were already written. A pass over a window counts occurrences again and writes
only those beyond the ledger's count, so true repeats survive and re-reads,
overlapping windows and restarts add nothing.

A count goes through three stages: pending (its line is being built), staged
(its line was written, ending at a known byte offset of the output) and
committed (the reader has taken that offset: the output says so). Only committed
counts are in the file, so the state never runs ahead of what was delivered.

Which days are settled (read whole, never to be read again) is kept per *scope*:
a log type, or a log type under a filter (`operation?category_type=role`). A
filtered read counts occurrences like an unfiltered one (a record's category is
part of its content), so counts are shared, but it settles only its own scope.
Backfills asked for and not finished are kept too ("owed"), so every later run
finishes them first.

SQLite gives atomic commits, bounded memory and incremental updates; WAL mode with
``synchronous=NORMAL`` survives a killed process at every instruction (a power
loss may roll back the last commits, which can only repeat lines, never lose them).
"""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
from collections import deque
from datetime import date
from pathlib import Path

from .errors import StateError
from .records import UNDATED

# 2: settled days and cursors per scope (a filtered read settles only its own), owed backfills.
SCHEMA_VERSION = "2"

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
CREATE TABLE IF NOT EXISTS owed (
    scope TEXT NOT NULL, since TEXT NOT NULL, until TEXT NOT NULL, asked TEXT NOT NULL,
    PRIMARY KEY (scope, since, until)
) WITHOUT ROWID;
"""

CountKey = tuple[str, str, bytes]  # (log type, day, fingerprint)


def _db_errors(method):
    """Any SQLite failure after opening (a corrupt page, a full disk) is one line, exit 7."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StateError(f"state file {self.path}: {exc}; nothing past the last commit was recorded") from None

    return wrapper


class Ledger:
    def __init__(self, path: Path, account: str, today: date):
        self.path = Path(path)
        self.account = account
        self._today = today.isoformat()
        self._days: dict[tuple[str, str], dict[bytes, int]] = {}
        self._pending: list[tuple[CountKey, int]] = []  # counts whose lines are not written yet
        self._staged: deque[tuple[int, CountKey, int]] = deque()  # (line's end offset, key, count)
        self._lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                self._create()
            self._take_lock()
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._check_meta()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateError(f"state file {self.path}: not a readable state database ({exc})") from None
        except OSError as exc:
            self.close()
            raise StateError(f"state file {self.path}: {exc.strerror or exc}") from None
        except StateError:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------
    def _create(self) -> None:
        """A new state is built aside and linked into place whole: a state file that
        exists is never legitimately empty, so an empty one can be refused."""
        target = Path(os.path.realpath(self.path))  # a symlink to a state not made yet: make its target
        tmp = target.with_name(f".{target.name}.{os.getpid()}.new")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        try:
            db = sqlite3.connect(tmp, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
                db.executemany(
                    "INSERT INTO meta VALUES (?, ?)", [("schema", SCHEMA_VERSION), ("account", self.account)]
                )
            finally:
                db.close()  # checkpoints the WAL into the file
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            try:
                os.link(tmp, target)
            except FileExistsError:
                pass  # another collector created it first: use (and lock) that one
            _fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def _take_lock(self) -> None:
        # Two collectors on one state would each emit the same records. The lock is
        # on the file itself (its inode), so a symlink or another name cannot dodge it.
        self._lock_fd = os.open(self.path, os.O_RDWR)
        st = os.fstat(self._lock_fd)
        if st.st_nlink > 1:
            # SQLite names its journal after the path it was given: two names of one
            # file would keep two journals, and one would lose the other's commits.
            raise StateError(
                f"state file {self.path} has {st.st_nlink} hard links; SQLite's journal follows "
                "the name, so keep one name (use a symlink instead)"
            )
        if st.st_size == 0:
            raise StateError(
                f"state file {self.path} is empty (truncated?): it no longer says what was written; "
                "restore it, or delete it to collect everything again (every record is then "
                "written again)"
            )
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateError(f"state file {self.path} is in use by another collector") from None

    def _release_lock(self) -> None:
        # After the database is closed: closing any descriptor of the file drops
        # the POSIX locks SQLite holds on it.
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _check_meta(self) -> None:
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        rows = dict(self.db.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        if not rows:
            raise StateError(
                f"state file {self.path} is a database without the collector's records (emptied?); "
                "restore it, or delete it to collect everything again"
            )
        schema = rows.get("schema")
        if schema == "1":
            self._migrate_from_1()
        elif schema != SCHEMA_VERSION:
            raise StateError(f"state file {self.path}: schema {schema!r} is not {SCHEMA_VERSION!r}")
        if rows.get("account") != self.account:
            raise StateError(f"state file {self.path} belongs to account {rows.get('account')!r}, not {self.account!r}")

    def _migrate_from_1(self) -> None:
        """Schema 1 kept one set of settled days per log type, which a --category read
        could fill: forget them all (days are read again, counts keep them exactly once)."""
        self.db.executescript(_SCHEMA)  # adds the new tables (executescript commits first: not in the tx)
        with self._tx():
            self.db.execute("DELETE FROM settled")
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateError(f"state file {self.path} is closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._release_lock()

    def _tx(self):
        return _Transaction(self.db)

    # -- counts ----------------------------------------------------------------------
    def day_counts(self, log_type: str, day: str) -> dict[bytes, int]:
        """Occurrences already written per fingerprint for one day (cached, includes uncommitted)."""
        counts = self._days.get((log_type, day))  # the hot path: no wrapper on a cache hit
        return counts if counts is not None else self._load_day(log_type, day)

    @_db_errors
    def _load_day(self, log_type: str, day: str) -> dict[bytes, int]:
        counts = dict(self.db.execute("SELECT fp, count FROM seen WHERE log_type = ? AND day = ?", (log_type, day)))
        self._days[(log_type, day)] = counts
        return counts

    def set_count(self, log_type: str, day: str, fp: bytes, count: int) -> None:
        """Count an occurrence whose line is about to be written (one call per line, in order)."""
        self.day_counts(log_type, day)[fp] = count
        self._pending.append(((log_type, day, fp), count))

    def release_day(self, log_type: str, day: str) -> None:
        """Drop a day's cache to bound memory; safe only once its changes are committed."""
        if not any(k[0] == log_type and k[1] == day for k, _ in self._pending) and not any(
            k[0] == log_type and k[1] == day for _, k, _ in self._staged
        ):
            self._days.pop((log_type, day), None)

    def stage(self, ends: list[int]) -> None:
        """The pending counts' lines were written, ending at these output offsets (in order)."""
        if len(ends) != len(self._pending):
            raise ValueError(f"{len(ends)} line offsets for {len(self._pending)} pending counts")
        self._staged.extend((end, key, count) for end, (key, count) in zip(ends, self._pending))
        self._pending.clear()

    @_db_errors
    def commit_through(self, delivered: int) -> int:
        """Commit, atomically, the staged counts whose line the reader has taken
        (ends at or before `delivered`). Returns how many were committed."""
        staged = self._staged
        rows = []
        while staged and staged[0][0] <= delivered:
            _, (lt, day, fp), n = staged.popleft()
            rows.append((lt, day, fp, n, self._today))
        if rows:
            with self._tx():
                self.db.executemany(
                    "INSERT INTO seen VALUES (?, ?, ?, ?, ?) ON CONFLICT (log_type, day, fp) "
                    "DO UPDATE SET count = max(count, excluded.count), touched = excluded.touched",
                    rows,
                )
        return len(rows)

    def commit(self) -> None:
        """Commit every count now (their lines are known to be delivered)."""
        self.stage([0] * len(self._pending))
        self.commit_through(max((end for end, _, _ in self._staged), default=0))

    @property
    def last_staged_end(self) -> int:
        """The output offset the reader must reach before everything staged is delivered."""
        return self._staged[-1][0] if self._staged else 0

    @property
    def uncommitted(self) -> int:
        return len(self._pending) + len(self._staged)

    def discard_pending(self) -> None:
        """Forget counts whose lines never reached the reader (it went away)."""
        for (lt, day, _fp), _ in self._pending:
            self._days.pop((lt, day), None)
        for _, (lt, day, _fp), _ in self._staged:
            self._days.pop((lt, day), None)
        self._pending.clear()
        self._staged.clear()

    # -- progress --------------------------------------------------------------------
    @_db_errors
    def mark_settled(self, scope: str, days: list[str]) -> None:
        with self._tx():
            self.db.executemany("INSERT OR IGNORE INTO settled VALUES (?, ?)", [(scope, d) for d in days])

    @_db_errors
    def settled_days(self, scope: str) -> set[str]:
        return {d for (d,) in self.db.execute("SELECT day FROM settled WHERE log_type = ?", (scope,))}

    @_db_errors
    def last_poll_day(self, scope: str) -> date | None:
        row = self.db.execute("SELECT last_poll_day FROM cursor WHERE log_type = ?", (scope,)).fetchone()
        return date.fromisoformat(row[0]) if row else None

    @_db_errors
    def set_last_poll_day(self, scope: str, day: date) -> None:
        with self._tx():
            self.db.execute(
                "INSERT INTO cursor VALUES (?, ?) ON CONFLICT (log_type) DO UPDATE SET "
                "last_poll_day = max(last_poll_day, excluded.last_poll_day)",
                (scope, day.isoformat()),
            )

    @_db_errors
    def owe(self, scope: str, since: date, until: date) -> None:
        """Remember a backfill asked for (today), until `paid` says every day of it was read."""
        with self._tx():
            self.db.execute(
                "INSERT OR IGNORE INTO owed VALUES (?, ?, ?, ?)",
                (scope, since.isoformat(), until.isoformat(), self._today),
            )

    @_db_errors
    def owed(self, scope: str | None = None) -> list[tuple[str, date, date, date]]:
        """Backfills asked for and not finished: (scope, since, until, day asked), oldest days first."""
        query = (
            "SELECT scope, since, until, asked FROM owed"
            + (" WHERE scope = ?" if scope else "")
            + " ORDER BY since, until"
        )
        return [
            (s, date.fromisoformat(a), date.fromisoformat(b), date.fromisoformat(asked))
            for s, a, b, asked in self.db.execute(query, (scope,) if scope else ())
        ]

    @_db_errors
    def paid(self, scope: str, since: date, until: date) -> None:
        with self._tx():
            self.db.execute(
                "DELETE FROM owed WHERE scope = ? AND since = ? AND until = ?",
                (scope, since.isoformat(), until.isoformat()),
            )

    @_db_errors
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @_db_errors
    def set_meta(self, key: str, value: str) -> None:
        with self._tx():
            self.db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
            )

    @_db_errors
    def prune(self, oldest: date) -> int:
        """Forget days Zoom no longer serves (and undated records unseen since then)."""
        cutoff = oldest.isoformat()
        with self._tx():
            cur = self.db.execute(
                "DELETE FROM seen WHERE (day < ? AND day != ?) OR (day = ? AND touched < ?)",
                (cutoff, UNDATED, UNDATED, cutoff),
            )
            self.db.execute("DELETE FROM settled WHERE day < ?", (cutoff,))
        self._days.clear()
        return cur.rowcount

    @_db_errors
    def total_counts(self) -> dict[str, int]:
        """Occurrences written per log type (for health lines and tests)."""
        return dict(self.db.execute("SELECT log_type, sum(count) FROM seen GROUP BY log_type"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
