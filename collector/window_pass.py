"""One pass over one window: pages in, exactly-once lines out.

Why it is not a simple loop: Zoom pages newest first by offset, so records that
arrive while we page push older records down, and the tail of page i shows up
again at the head of page i+1. Counting those twice would write duplicates.
A pass therefore holds back every record that may be such a re-read:

- overlap: if page i+1 starts with the last L records of page i (compared by
  fingerprint), those L records are held back (largest L wins);
- time: records are newest first, so a record newer than the oldest one already
  read sits in the part already paged: it was counted, or is a new arrival;
- same second: a record of exactly that oldest second whose fingerprint was
  already read at that second may be the same record pushed down (arrivals can
  land between the re-read ones, so the overlap rule alone misses them);
- order: if a page is not newest first, the time rules are off for the window.

Holding back can only under-count, so a pass never writes a duplicate. A pass
that held nothing back is clean. An unclean pass is followed by another with a
different page size (boundaries move); if two consecutive passes fetched exactly
the same sequence of records, nothing moved during either, every held-back record
was a genuine identical twin, and they are counted (``settle``).

Counts are per (log type, UTC day, fingerprint): the n-th identical record of a
day is written when n exceeds what the ledger has already written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from .ledger import Ledger
from .output import render
from .records import UNDATED, fingerprint, record_id, utc_time


@dataclass
class PassResult:
    page_size: int = 0
    start: date | None = None
    end: date | None = None
    pages: int = 0
    read: int = 0
    written: int = 0
    held_overlap: int = 0
    held_newer: int = 0
    out_of_order: bool = False
    sequence: bytes = b""  # digest of every fingerprint fetched, in order
    day_sequences: dict = field(default_factory=dict)  # the same, per UTC day of the record
    held_days: set = field(default_factory=set)
    settled_twins: int = 0  # held records counted once a repeat pass proved nothing moved
    restarted: bool = False  # Zoom expired the page token; the pass was cut short

    @property
    def held(self) -> int:
        return self.held_overlap + self.held_newer

    @property
    def clean(self) -> bool:
        return not (self.held or self.out_of_order) or self.settled_twins > 0


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
        self._sequence = hashlib.blake2b(digest_size=16)
        self._day_sequences: dict[str, hashlib.blake2b] = {}
        self._previous: list[bytes] = []
        self._frontier: str | None = None  # oldest time read so far in this pass
        self._frontier_fps: set[bytes] = set()  # fingerprints read at that time
        self._pass_counts: dict[str, dict[bytes, int]] = {}
        self._current_day: str | None = None
        self._left_days: set[str] = set()
        self._to_release: list[str] = []
        self._held: list[tuple[str, bytes, dict]] = []
        self._final_counts: dict[tuple[str, bytes], int] = {}  # pass counts of held fps of left days

    def run(self, pages: Iterable[list[dict]]) -> PassResult:
        for page in pages:
            self._page(page)
        # Free every day this pass touched in the ledger's cache (it reloads from
        # disk if needed): memory must not grow pass after pass.
        if self.time_rule:
            self._leave_day()
            self._current_day = None
        self._to_release.extend(self._pass_counts)
        self._commit([])
        self.result.sequence = self._sequence.digest()
        self.result.day_sequences = {d: h.digest() for d, h in self._day_sequences.items()}
        return self.result

    def _hold(self, day: str, fp: bytes, record: dict) -> None:
        self._held.append((day, fp, record))
        self.result.held_days.add(day)

    def _page(self, page: list[dict]) -> None:
        result = self.result
        result.pages += 1
        result.read += len(page)
        fps = [fingerprint(r) for r in page]
        times = [utc_time(r) for r in page]
        day_sequences = self._day_sequences
        for fp, time in zip(fps, times):
            self._sequence.update(fp)
            day = time[:10] if time else UNDATED
            h = day_sequences.get(day)
            if h is None:
                h = day_sequences[day] = hashlib.blake2b(digest_size=16)
            h.update(fp)
        skip = overlap(self._previous, fps)
        result.held_overlap += skip
        for index in range(skip):
            held_time = times[index]
            self._hold(held_time[:10] if held_time else UNDATED, fps[index], page[index])
        lines: list[bytes] = []
        frontier = self._frontier
        frontier_fps = self._frontier_fps
        for index in range(skip, len(page)):
            time = times[index]
            day = time[:10] if time else UNDATED
            if self.time_rule and time is not None and frontier is not None and time >= frontier:
                if time > frontier or fps[index] in frontier_fps:
                    result.held_newer += 1
                    self._hold(day, fps[index], page[index])
                    continue
            if self.time_rule and day != UNDATED and day != self._current_day:
                if day in self._left_days:
                    # Newest-first broke across days: count nothing more of it now,
                    # the re-read runs without the time rule.
                    result.out_of_order = True
                    continue
                self._leave_day()
                self._current_day = day
            line = self._count(day, fps[index], page[index])
            if line:
                lines.append(line)
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
        self._commit(lines)

    def _count(self, day: str, fp: bytes, record: dict) -> bytes | None:
        """Count one occurrence; its line if the ledger has not written that many yet."""
        counts = self._pass_counts.setdefault(day, {})
        seen = counts.get(fp, 0) + 1
        counts[fp] = seen
        if seen > self.ledger.day_counts(self.log_type, day).get(fp, 0):
            self.ledger.set_count(self.log_type, day, fp, seen)
            return render(record, self.log_type, self.account, record_id(self.account, self.log_type, fp, seen))
        return None

    def _commit(self, lines: list[bytes]) -> None:
        self.commit_batch(lines)
        self.result.written += len(lines)
        for day in self._to_release:
            self.ledger.release_day(self.log_type, day)
        self._to_release.clear()

    def _leave_day(self) -> None:
        """Sorted input never returns to a day it left: free its counts (bounded memory)."""
        day = self._current_day
        if day is None:
            return
        counts = self._pass_counts.pop(day, {})
        for held_day, fp, _ in self._held:
            if held_day == day:
                self._final_counts[(day, fp)] = counts.get(fp, 0)
        self._left_days.add(day)
        self._to_release.append(day)

    def count_held(self, days: set[str] | None = None) -> int:
        """Count held-back records (of `days`, or all) as genuine twins.

        Only after a repeat read proved that nothing moved while they were read.
        """
        lines = []
        keep = []
        for day, fp, record in self._held:
            if days is not None and day not in days:
                keep.append((day, fp, record))
                continue
            counts = self._pass_counts.setdefault(day, {})
            if day in self._left_days and fp not in counts:
                counts[fp] = self._final_counts.get((day, fp), 0)
            line = self._count(day, fp, record)
            if line:
                lines.append(line)
        self.result.settled_twins += len(self._held) - len(keep)
        self._to_release.extend({day for day, _, _ in self._held if day not in {d for d, _, _ in keep}})
        self._held = keep
        self._commit(lines)
        return len(lines)


PagesFor = Callable[[date, date, int], Iterable[list[dict]]]


def settle(
    make_pass: Callable[[bool], WindowPass],
    pages_for: PagesFor,
    start: date,
    end: date,
    page_sizes: tuple[int, ...],
    passes: int,
    on_result: Callable[[PassResult], None] | None = None,
    restartable: type[BaseException] | tuple = (),
    readable: Callable[[date], bool] = lambda d: True,
) -> bool:
    """Read [start, end] until its records are certain, at most `passes` reads. True if so.

    A clean first pass settles the window. Otherwise each day that held records
    back is read again alone, with another page size: if that day's records come
    back in exactly the sequence the first pass saw, nothing moved in that day
    while it was read (any shift would have added a re-read record to the first
    pass's sequence), so its held records are identical twins and are counted.
    Every record that arrives in the already-paged part shifts the pages and so
    makes some day hold records back; if all such days check out, nothing
    arrived and the pass was complete. Otherwise the whole window is re-read.
    """
    state = {"reads": 0}

    def run(time_rule: bool, a: date, b: date, size: int, count: bool = True):
        if count:
            state["reads"] += 1
        wp = make_pass(time_rule)
        wp.result.page_size, wp.result.start, wp.result.end = size, a, b
        try:
            result = wp.run(pages_for(a, b, size))
        except restartable:
            wp.result.restarted = True
            if on_result:
                on_result(wp.result)
            return wp, None
        return wp, result

    wp, first = run(True, start, end, page_sizes[0])
    if first is not None:
        if on_result:
            on_result(first)
        if first.clean:
            return True
        # Day checks are small reads: worth it while they cover at most half the window.
        window_days = (end - start).days + 1
        if (
            not first.out_of_order
            and UNDATED not in first.held_days
            and len(first.held_days) <= max(1, window_days // 2)
            and _check_days(first, run, page_sizes, readable, on_result)
        ):
            return True
    # Records moved (or came out of order): re-read the whole window until two
    # consecutive reads fetch the same sequence.
    time_rule = first is None or not first.out_of_order
    previous = first.sequence if first is not None and not first.out_of_order else None
    attempt = 1
    while state["reads"] < passes:
        wp, result = run(time_rule, start, end, page_sizes[attempt % len(page_sizes)])
        attempt += 1
        if result is None:
            previous = None
            continue
        if not result.clean and result.sequence == previous and not result.out_of_order:
            wp.count_held()
        if on_result:
            on_result(result)
        if result.clean:
            return True
        previous = result.sequence
        time_rule = time_rule and not result.out_of_order
    return False


def _check_days(first: PassResult, run, page_sizes, readable, on_result) -> bool:
    for day_text in sorted(first.held_days):
        day = date.fromisoformat(day_text)
        if not readable(day):
            return False
        wp, again = run(True, day, day, page_sizes[1], count=False)
        if again is None:
            return False
        same = again.day_sequences.get(day_text) == first.day_sequences.get(day_text)
        if same and not again.out_of_order:
            wp.count_held({day_text})
        if on_result:
            on_result(again)
        if not same:
            return False
    return True
