"""One pass over one window: pages in, exactly-once lines out.

Why it is not a simple loop: Zoom pages newest first by offset, so records that
arrive while we page push older records down, and the tail of page i shows up
again at the head of page i+1. Counting those twice would write duplicates.
The pass therefore only counts what it is sure of:

- overlap: if page i+1 starts with the last L records of page i (compared by
  fingerprint), those L records are not counted again (largest L wins);
- time: records are newest first, so a record newer than the oldest one already
  read sits in the part already paged: it was counted, or is a new arrival that
  the next pass will count;
- same second: a record of exactly that oldest second whose fingerprint was
  already read at that second may be the same record pushed down (arrivals can
  land between the re-read ones, so the overlap rule alone misses them);
- order: if a page is not newest first, the time rule is off for the window.

Each rule can only under-count, never over-count, so a pass writes no duplicate;
whatever it skipped makes the pass "unclean", and the caller re-reads the window
with another page size (moving the page boundaries) until a pass is clean. Counts
are per (log type, UTC day, fingerprint): the n-th identical record of a day is
written when n exceeds what the ledger has already written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .ledger import Ledger
from .output import render
from .records import UNDATED, fingerprint, record_id, utc_time


@dataclass
class PassResult:
    pages: int = 0
    read: int = 0
    written: int = 0
    skipped_overlap: int = 0
    skipped_newer: int = 0
    out_of_order: bool = False

    @property
    def clean(self) -> bool:
        return not (self.skipped_overlap or self.skipped_newer or self.out_of_order)


def overlap(previous: list[bytes], page: list[bytes]) -> int:
    """Largest L such that the last L of `previous` equal the first L of `page`."""
    if not previous or not page:
        return 0
    last = previous[-1]
    best = 0
    for index, fp in enumerate(page):
        length = index + 1
        if length > len(previous):
            break
        if fp == last and previous[-length:] == page[:length]:
            best = length
    return best


class WindowPass:
    def __init__(
        self,
        ledger: Ledger,
        log_type: str,
        account: str,
        commit_batch: Callable[[list[bytes]], None],
        time_rule: bool = True,
    ):
        self.ledger = ledger
        self.log_type = log_type
        self.account = account
        self.commit_batch = commit_batch  # writes + flushes lines, then commits the ledger
        self.time_rule = time_rule
        self.result = PassResult()
        self._previous: list[bytes] = []
        self._frontier: str | None = None  # oldest time read so far in this pass
        self._frontier_fps: set[bytes] = set()  # fingerprints read at that time
        self._pass_counts: dict[str, dict[bytes, int]] = {}
        self._current_day: str | None = None
        self._left_days: set[str] = set()
        self._to_release: list[str] = []

    def run(self, pages: Iterable[list[dict]]) -> PassResult:
        for page in pages:
            self._page(page)
        return self.result

    def _page(self, page: list[dict]) -> None:
        result = self.result
        result.pages += 1
        result.read += len(page)
        fps = [fingerprint(r) for r in page]
        times = [utc_time(r) for r in page]
        skip = overlap(self._previous, fps)
        result.skipped_overlap += skip
        lines: list[bytes] = []
        frontier = self._frontier
        frontier_fps = self._frontier_fps
        for index in range(skip, len(page)):
            time = times[index]
            if self.time_rule and time is not None and frontier is not None and time >= frontier:
                if time > frontier or fps[index] in frontier_fps:
                    result.skipped_newer += 1
                    continue
            day = time[:10] if time else UNDATED
            if self.time_rule and day != UNDATED and day != self._current_day:
                if day in self._left_days:
                    # Newest-first broke across days: count nothing more of it now,
                    # the re-read runs without the time rule.
                    result.out_of_order = True
                    continue
                self._leave_day()
                self._current_day = day
            counts = self._pass_counts.setdefault(day, {})
            fp = fps[index]
            seen = counts.get(fp, 0) + 1
            counts[fp] = seen
            done = self.ledger.day_counts(self.log_type, day)
            if seen > done.get(fp, 0):
                self.ledger.set_count(self.log_type, day, fp, seen)
                lines.append(render(page[index], self.log_type, self.account, record_id(self.account, self.log_type, fp, seen)))
        dated = [t for t in times if t is not None]
        if self.time_rule and any(later > earlier for earlier, later in zip(dated, dated[1:])):
            # Not newest first: the time rule may have held records back; the
            # re-read counts without it (order then does not matter).
            result.out_of_order = True
            self.time_rule = False
        if dated:
            oldest = min(dated)
            if frontier is None or oldest < frontier:
                self._frontier = oldest
                self._frontier_fps = set()
            self._frontier_fps.update(fp for fp, t in zip(fps, times) if t == self._frontier)
        self._previous = fps
        self.commit_batch(lines)
        result.written += len(lines)
        for day in self._to_release:
            self.ledger.release_day(self.log_type, day)
        self._to_release.clear()

    def _leave_day(self) -> None:
        """Sorted input never returns to a day it left: free its counts (bounded memory)."""
        day = self._current_day
        if day is None:
            return
        self._left_days.add(day)
        self._pass_counts.pop(day, None)
        self._to_release.append(day)
