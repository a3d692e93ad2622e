"""Backfill and follow: which windows to read, when, and how often.

Data flows one way: Zoom API -> pages (client) -> records (window pass) ->
ledger -> output. This module only decides the windows and repeats unclean ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from .client import REPORTS, ZoomClient
from .errors import OutputClosed, PageTokenExpired
from .ledger import Ledger
from .output import Sink
from .records import LOG_TYPES
from .retry import Waiter
from .window_pass import PassResult, WindowPass, settle
from .windows import check_backfill_range, days_between, month_windows, oldest_readable, utc_today

log = logging.getLogger("zoom-activity-logs")

# Different page sizes move the page boundaries between passes, so a repeat pass
# can tell records pushed down by arrivals from identical twins on a boundary.
PAGE_SIZES = (300, 293, 283, 271, 257)


@dataclass
class Settings:
    account: str = "default"
    log_types: tuple[str, ...] = LOG_TYPES
    category: str | None = None
    lookback_days: int = 1
    backfill_passes: int = 5  # a static past window settles in two passes at most
    follow_passes: int = 2  # arrivals never stop; the next poll finishes the job


@dataclass
class Stats:
    read: int = 0
    written: int = 0
    windows: int = 0
    unclean_windows: int = 0
    restarts: int = 0
    by_type: dict = field(default_factory=dict)


class Collector:
    def __init__(
        self,
        client: ZoomClient,
        ledger: Ledger,
        sink: Sink,
        settings: Settings,
        waiter: Waiter | None = None,
        today: Callable[[], date] = utc_today,
    ):
        self.client = client
        self.ledger = ledger
        self.sink = sink
        self.settings = settings
        self.waiter = waiter or Waiter()
        self.today = today
        self.stats = Stats()
        self.progress: Callable[[int], None] = lambda days: None  # days of windows done (progress bar)

    # -- the unit of work -----------------------------------------------------------
    def _commit(self, lines: list[bytes]) -> None:
        try:
            self.sink.write_batch(lines)
        except OutputClosed:
            self.ledger.discard_pending()  # never count what the reader did not get
            raise
        self.ledger.commit()

    def read_window(self, log_type: str, start: date, end: date, passes: int) -> bool:
        """Read [start, end] until a pass is clean (or `passes` run out). True if clean."""
        report = REPORTS[log_type]
        pass_day = self.today()
        self.stats.windows += 1

        def make_pass(time_rule: bool) -> WindowPass:
            return WindowPass(self.ledger, log_type, self.settings.account, self._commit, time_rule)

        def pages_for(a: date, b: date, size: int):
            return self.client.pages(report, a, b, size, self.settings.category)

        today = self.today()
        oldest = oldest_readable(today)

        def on_result(result: PassResult) -> None:
            self.stats.read += result.read
            self.stats.written += result.written
            self.stats.by_type[log_type] = self.stats.by_type.get(log_type, 0) + result.written
            if result.restarted:
                self.stats.restarts += 1
                log.warning("%s %s..%s: page token expired; restarting the window", log_type, start, end)
                return
            note = ""
            if result.settled_twins:
                note = f" ({result.settled_twins} identical records on page boundaries confirmed by a second read)"
            elif not result.clean:
                note = f" ({result.held} held back: pages moved or identical records on a page boundary; re-reading)"
            log.info("%s %s..%s: %d pages, %d read, %d new%s", log_type, result.start, result.end,
                     result.pages, result.read, result.written, note)

        clean = settle(make_pass, pages_for, start, end, PAGE_SIZES, passes, on_result, PageTokenExpired,
                       readable=lambda d: oldest <= d <= today)
        if clean:
            settled = [d.isoformat() for d in days_between(start, end)
                       if (pass_day - d).days >= self.settings.lookback_days]
            if settled:
                self.ledger.mark_settled(log_type, settled)
            return True
        self.stats.unclean_windows += 1
        log.warning(
            "%s %s..%s: still moving after %d passes; what was held back is written by a later pass",
            log_type, start, end, passes,
        )
        return False

    def _windows(self, log_type: str, start: date, end: date, passes: int) -> bool:
        settled = self.ledger.settled_days(log_type)
        clean = True
        for a, b in month_windows(start, end):
            days = len(days_between(a, b))
            if all(d.isoformat() in settled for d in days_between(a, b)):
                log.debug("%s %s..%s: already settled, skipped", log_type, a, b)
                self.progress(days)
                continue
            self.waiter.check()
            clean = self.read_window(log_type, a, b, passes) and clean
            self.progress(days)
        return clean

    # -- modes ----------------------------------------------------------------------
    def backfill(self, since: date, until: date) -> None:
        today = self.today()
        check_backfill_range(since, until, today)
        self.ledger.prune(oldest_readable(today))
        for log_type in self.settings.log_types:
            clean = self._windows(log_type, since, until, self.settings.backfill_passes)
            if clean and until >= today - timedelta(days=self.settings.lookback_days):
                self.ledger.set_last_poll_day(log_type, today)

    def poll(self) -> None:
        """One follow poll: the recent days, plus whatever was missed since the last poll."""
        today = self.today()
        oldest = oldest_readable(today)
        self.ledger.prune(oldest)
        lookback = timedelta(days=self.settings.lookback_days)
        for log_type in self.settings.log_types:
            start = today - lookback
            last = self.ledger.last_poll_day(log_type)
            if last is not None:
                start = min(start, last - lookback)
            start = max(start, oldest)
            if self._windows(log_type, start, today, self.settings.follow_passes):
                self.ledger.set_last_poll_day(log_type, today)
