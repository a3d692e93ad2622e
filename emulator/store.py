"""Per-day record lists for one endpoint: lazy generation, late records, visibility.

Times are integers in the store's unit: seconds for the sign-in and operation reports,
milliseconds (scale 1000) for meeting activities. A day's list is kept newest first.
Records that share a time keep store order (generation order, then insertion order),
which is what a stable sort gives and what the API pages over, newest first or (oldest_first) oldest first. Days nobody
changed can be dropped and regenerated, because generation is deterministic;
changed days are pinned.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from operator import itemgetter

from .timeutil import day_of, day_start, parse_ts

_ONE_DAY = timedelta(days=1)
_KEEP_DAYS = 64  # never evict below two month-long windows, or paging would thrash
_KEEP_VIEWS = 32  # filtered views cached per day (search keys are open-ended)

# A filter of a day's records: (a hashable key naming it, the test a record must pass).
Select = tuple[object, Callable[[dict], bool]]


class DayLog:
    __slots__ = ("records", "neg_ts", "by_category")

    def __init__(self, records, neg_ts) -> None:
        # Tuples for generated days (never changed in place); lists once a day is pinned.
        self.records = records  # newest first
        self.neg_ts = neg_ts  # -epoch per record, ascending, for bisect
        self.by_category: dict[object, tuple] = {}

    def view(self, select: Select | None):
        if select is None:
            return self.records, self.neg_ts
        key, match = select
        hit = self.by_category.get(key)
        if hit is None:
            pairs = [(r, t) for r, t in zip(self.records, self.neg_ts) if match(r)]
            hit = (tuple(r for r, _ in pairs), tuple(t for _, t in pairs))
            if len(self.by_category) < _KEEP_VIEWS:
                self.by_category[key] = hit
        return hit


_EMPTY = DayLog((), ())


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic GC while a day is built.

    A day makes thousands of short-lived tracked tuples; with the GC on, they push it
    into full collections that re-walk every cached record (tens of ms each, about
    half of all generation time at a million records). Nothing built here is cyclic.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _oldest_first(records, neg_ts, end: int, lo: int, hi: int) -> list:
    """Items [lo, hi) of a day's records[:end] read oldest first, a second's records in store order.

    Plain reversal would also reverse each second's records, so the slice is widened to whole
    seconds and those are sorted by time (reverse=True keeps ties in order): no sort of the
    whole day per page.
    """
    a = bisect_left(neg_ts, neg_ts[end - hi], 0, end)
    b = bisect_right(neg_ts, neg_ts[end - 1 - lo], 0, end)
    order = sorted(range(a, b), key=neg_ts.__getitem__, reverse=True)
    first = end - b  # the oldest-first position of records[order[0]]
    return [records[i] for i in order[lo - first : hi - first]]


class RecordStore:
    def __init__(
        self,
        kind: str,
        make_day: Callable[[date], list],
        first_day: date,
        max_cached_records: int = 2_000_000,
        scale: int = 1,
        time_of: Callable[[dict], int] | None = None,
    ) -> None:
        self.kind = kind
        self.scale = scale  # store time units per second
        self._time_of = time_of or (lambda rec: parse_ts(rec["time"]))
        self._make_day = make_day
        self.first_day = first_day
        self._max_cached = max_cached_records
        self._lru: OrderedDict[int, DayLog] = OrderedDict()  # pristine generated days
        self._pinned: dict[int, DayLog] = {}  # days with added records
        self._cached = 0
        self.lock = threading.RLock()
        self.generation_seconds = 0.0
        self.generated_records = 0
        self.generated_days = 0

    # ---- day access (callers hold self.lock) ---------------------------------
    def _day(self, d: date) -> DayLog:
        key = d.toordinal()
        log = self._pinned.get(key)
        if log is not None:
            return log
        log = self._lru.get(key)
        if log is not None:
            self._lru.move_to_end(key)
            return log
        if d < self.first_day:
            return _EMPTY
        started = time.perf_counter()
        with _gc_paused():
            entries = self._make_day(d)
            entries.sort(key=itemgetter(0), reverse=True)  # stable: equal seconds keep generation order
            log = DayLog(tuple([r for _, r in entries]), tuple([-t for t, _ in entries]))
            del entries  # free the (ts, record) pairs before the GC runs again
        self.generation_seconds += time.perf_counter() - started
        self.generated_records += len(log.records)
        self.generated_days += 1
        self._lru[key] = log
        self._cached += len(log.records)
        while self._cached > self._max_cached and len(self._lru) > _KEEP_DAYS:
            _, old = self._lru.popitem(last=False)
            self._cached -= len(old.records)
        return log

    def _pin(self, d: date) -> DayLog:
        key = d.toordinal()
        log = self._pinned.get(key)
        if log is None:
            base = self._day(d)
            if key in self._lru:
                del self._lru[key]
                self._cached -= len(base.records)
            log = DayLog(list(base.records), list(base.neg_ts))
            self._pinned[key] = log
        return log

    def units(self, epoch_seconds: float) -> int:
        """A time in this store's unit."""
        return int(epoch_seconds * self.scale)

    def _segments(self, since: date, until: date, now_ts: int, select: Select | None):
        """Visible (records, neg_ts, start, count) per day, newest day first (now_ts in store units)."""
        segments, total = [], 0
        d = until
        while d >= since:
            if day_start(d) * self.scale <= now_ts or d.toordinal() in self._pinned:
                records, neg = self._day(d).view(select)
                start = bisect_left(neg, -now_ts)  # records later than now are not visible yet
                n = len(records) - start
                if n > 0:
                    segments.append((records, neg, start, n))
                    total += n
            d -= _ONE_DAY
        return segments, total

    # ---- public ----------------------------------------------------------------
    def page(
        self,
        since: date,
        until: date,
        now_ts: int,
        select: Select | None,
        offset: int,
        size: int,
        oldest_first: bool = False,
    ) -> tuple[list[dict], int]:
        """Records [offset, offset+size) of the current newest-first (or oldest-first) list
        of the records `select` keeps (None: all), and its length."""
        # Sliced under the lock: an arrival inserted at a day's head would shift the indices,
        # and oldest-first slices count from a day's end.
        with self.lock:
            segments, total = self._segments(since, until, now_ts, select)
            if oldest_first:
                segments.reverse()
            out: list[dict] = []
            skip, need = offset, size
            for records, neg, start, n in segments:
                if skip >= n:
                    skip -= n
                    continue
                take = min(n - skip, need)
                if oldest_first:
                    out.extend(_oldest_first(records, neg, start + n, skip, skip + take))
                else:
                    out.extend(records[start + skip : start + skip + take])
                need -= take
                skip = 0
                if not need:
                    break
        return out, total

    def truth(self, since: date, until: date, now_ts: int) -> list[dict]:
        with self.lock:
            segments, _ = self._segments(since, until, now_ts, None)
        return [dict(r) for records, _, start, _ in segments for r in records[start:]]

    def add(self, records: Iterable[dict]) -> int:
        """Insert copies of `records`; each goes after any record of the same time."""
        prepared = []
        for rec in records:
            try:
                ts = self._time_of(rec)
            except KeyError as exc:
                raise ValueError(f"every record needs a {exc.args[0]!r}") from None
            prepared.append((ts, dict(rec)))
        with self.lock:
            for ts, rec in prepared:
                log = self._pin(day_of(ts // self.scale))
                at = bisect_right(log.neg_ts, -ts)
                log.records.insert(at, rec)
                log.neg_ts.insert(at, -ts)
                log.by_category.clear()
        return len(prepared)

    def add_at(self, ts: int, records: list[dict]) -> None:
        """Fast path for arrivals generated by the emulator itself (time already `ts`, store units)."""
        with self.lock:
            log = self._pin(day_of(ts // self.scale))
            at = bisect_right(log.neg_ts, -ts)
            log.records[at:at] = records
            log.neg_ts[at:at] = [-ts] * len(records)
            log.by_category.clear()

    def counters(self) -> dict:
        with self.lock:
            return {
                "generated_days": self.generated_days,
                "generated_records": self.generated_records,
                "generation_seconds": round(self.generation_seconds, 4),
                "cached_records": self._cached + sum(len(pinned.records) for pinned in self._pinned.values()),
            }
