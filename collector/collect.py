"""Backfill and follow: which windows to read, when, and how often.

Data flows one way: Zoom API -> pages (client) -> records (window pass) ->
ledger -> output. This module only decides the windows and repeats unclean ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from .client import REPORTS, ZoomClient
from .errors import OutputClosed, PageTokenExpired, ScopeError
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
# At the end of a run, how long the reader of a pipe may take to read what it was given.
DRAIN_TIMEOUT = 30.0
# A report Zoom refuses (scope, permission, feature) is asked again at most this often in --follow.
REFUSED_RETRY_SECONDS = 3600.0


@dataclass
class Settings:
    account: str = "default"
    log_types: tuple[str, ...] = LOG_TYPES
    category: str | None = None  # operation logs: category_type
    activity_type: str | None = None  # meeting activity: an enum name of Zoom's (None: All Activities)
    meeting_number: str | None = None  # meeting activity: digits only
    search_key: str | None = None  # meeting activity: an operator's name or email
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


def filters(log_type: str, settings: Settings) -> dict[str, str]:
    """The query parameters that narrow `log_type` to what the settings ask (none: the whole report)."""
    out: dict[str, str] = {}
    if log_type == "operation":
        if settings.category and settings.category != "all":
            out["category_type"] = settings.category
    elif log_type == "meeting_activity":
        if settings.activity_type and settings.activity_type != REPORTS[log_type].defaults[0][1]:
            out["activity_type"] = settings.activity_type
        if settings.meeting_number:
            out["meeting_number"] = settings.meeting_number
        if settings.search_key:
            out["search_key"] = settings.search_key
    return out


def scope(log_type: str, narrowed: dict[str, str]) -> str:
    """The ledger key of settled days, cursors and owed backfills: a filtered read
    settles only its own filter, never the whole report (filters sorted: one key per filter)."""
    if narrowed:
        return f"{log_type}?{urlencode(sorted(narrowed.items()))}"
    return log_type


@dataclass
class Refusal:
    error: ScopeError
    at: float  # Waiter.monotonic() of the refused attempt


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
        # days of windows done per log type (the progress bar)
        self.progress: Callable[[str, int], None] = lambda log_type, days: None
        # reports Zoom refuses (missing scope, permission or feature): the others go on
        self.refused: dict[str, Refusal] = {}

    def filters(self, log_type: str) -> dict[str, str]:
        return filters(log_type, self.settings)

    def scope(self, log_type: str) -> str:
        return scope(log_type, self.filters(log_type))

    # -- refused reports ---------------------------------------------------------------
    def _waiting_out(self, log_type: str) -> bool:
        """True while a refused report waits for its next attempt."""
        before = self.refused.get(log_type)
        return before is not None and self.waiter.monotonic() - before.at < REFUSED_RETRY_SECONDS

    def _guarded(self, log_type: str, work: Callable[..., None], *args) -> None:
        """Run one report's work; a refusal of that report is noted (one error line, and
        again only when it changes) and the other reports go on. A refused report is
        asked again at most every REFUSED_RETRY_SECONDS."""
        if self._waiting_out(log_type):
            return
        before = self.refused.get(log_type)
        try:
            work(*args)
        except ScopeError as exc:
            if exc.log_type is None:
                raise  # not about one report
            if before is None or str(before.error) != str(exc):
                log.error("%s", exc)
            self.refused[log_type] = Refusal(exc, self.waiter.monotonic())
            return
        if before is not None:
            del self.refused[log_type]
            log.info("%s: Zoom serves the report now; collecting it again", log_type)

    def refusal(self) -> ScopeError | None:
        """One error naming every report Zoom refused this run (or now, in --follow), or None."""
        if not self.refused:
            return None
        refused = [t for t in self.settings.log_types if t in self.refused]
        others = [t for t in self.settings.log_types if t not in self.refused]
        done = f"{', '.join(others)} collected" if others else "nothing else to collect"
        return ScopeError(
            f"Zoom refused the {', '.join(refused)} report{'s' if len(refused) > 1 else ''} "
            f"(what to ask for is above); {done}"
        )

    def check_refused(self) -> None:
        """A one-shot run ends with ScopeError (exit 4) once the other reports are done."""
        error = self.refusal()
        if error is not None:
            raise error

    # -- the unit of work -----------------------------------------------------------
    def _commit(self, lines: list[bytes]) -> None:
        """Write the lines, then commit the counts of every line the reader has taken."""
        try:
            self.sink.write_batch(lines, self.ledger.stage)
            self.ledger.commit_through(self.sink.delivered())
        except OutputClosed:
            self._reader_gone()
            raise

    def _reader_gone(self) -> None:
        # What it took before it went is delivered; the rest is never counted.
        self.ledger.commit_through(self.sink.delivered())
        self.ledger.discard_pending()

    def sync(self) -> None:
        """Wait until the reader has taken every line written so far, and commit them:
        nothing may be marked read (settled days, cursors) ahead of its lines."""
        try:
            self.sink.wait_delivered(self.ledger.last_staged_end, check=self.waiter.check)
            self.ledger.commit_through(self.sink.delivered())
        except OutputClosed:
            self._reader_gone()
            raise

    def finish(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """At the end of a run, even a stopped or failed one: wait (bounded) for the
        reader to take what it was given, commit that, and forget the rest."""
        if not self.ledger.uncommitted:
            return
        try:
            drained = self.sink.wait_delivered(self.ledger.last_staged_end, timeout)
        except OutputClosed:
            drained = True  # what it took is committed below; the rest was never read
        left = self.ledger.uncommitted - self.ledger.commit_through(self.sink.delivered())
        self.ledger.discard_pending()
        if not drained and left:
            log.warning(
                "the reader left %d lines unread in the pipe for %.0fs; the next run writes them again", left, timeout
            )

    def read_window(self, log_type: str, start: date, end: date, passes: int) -> bool:
        """Read [start, end] until a pass is clean (or `passes` run out). True if clean."""
        report = REPORTS[log_type]
        narrowed = self.filters(log_type)
        pass_day = self.today()
        self.stats.windows += 1

        def make_pass(time_rule: bool) -> WindowPass:
            return WindowPass(self.ledger, log_type, self.settings.account, self._commit, time_rule)

        def pages_for(a: date, b: date, size: int):
            return self.client.pages(report, a, b, size, narrowed)

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
            log.info(
                "%s %s..%s: %d pages, %d read, %d new%s",
                log_type,
                result.start,
                result.end,
                result.pages,
                result.read,
                result.written,
                note,
            )

        clean = settle(
            make_pass,
            pages_for,
            start,
            end,
            PAGE_SIZES,
            passes,
            on_result,
            PageTokenExpired,
            readable=lambda d: oldest <= d <= today,
        )
        if clean:
            settled = [
                d.isoformat() for d in days_between(start, end) if (pass_day - d).days >= self.settings.lookback_days
            ]
            if settled:
                self.sync()
                self.ledger.mark_settled(self.scope(log_type), settled)
            return True
        self.stats.unclean_windows += 1
        log.warning(
            "%s %s..%s: still moving after %d passes; what was held back is written by a later pass",
            log_type,
            start,
            end,
            passes,
        )
        return False

    def _windows(self, log_type: str, start: date, end: date, passes: int) -> bool:
        settled = self.ledger.settled_days(self.scope(log_type))
        clean = True
        for a, b in month_windows(start, end):
            days = len(days_between(a, b))
            if all(d.isoformat() in settled for d in days_between(a, b)):
                log.debug("%s %s..%s: already settled, skipped", log_type, a, b)
                self.progress(log_type, days)
                continue
            self.waiter.check()
            clean = self.read_window(log_type, a, b, passes) and clean
            self.progress(log_type, days)
        return clean

    def _advance_cursor(self, log_type: str, day: date) -> None:
        self.sync()
        self.ledger.set_last_poll_day(self.scope(log_type), day)

    # -- modes ----------------------------------------------------------------------
    def backfill(self, since: date, until: date) -> None:
        """Read [since, until]; the request is remembered in the state until every day
        of it was read, so a run killed half-way is finished by any later run."""
        check_backfill_range(since, until, self.today())
        for log_type in self.settings.log_types:
            self.ledger.owe(self.scope(log_type), since, until)
        self.finish_owed(asked=(since, until))

    def finish_owed(self, asked: tuple[date, date] | None = None) -> None:
        """Read every backfill still owed for what this run collects (earlier runs' first)."""
        today = self.today()
        self.ledger.prune(oldest_readable(today))
        mine = {self.scope(t): t for t in self.settings.log_types}
        for owed_scope, since, until, asked_on in self.ledger.owed():
            log_type = mine.get(owed_scope)
            if log_type is None:
                log.warning(
                    "a backfill of %s %s..%s is still owed; a run that collects it (--log-type, "
                    "--category) finishes it",
                    owed_scope,
                    since,
                    until,
                )
                continue
            if self._waiting_out(log_type):
                continue
            if (since, until) != asked:
                log.warning(
                    "%s: finishing the backfill %s..%s that an earlier run did not complete", log_type, since, until
                )
            self._guarded(log_type, self._pay, log_type, since, until, asked_on, today)

    def _pay(self, log_type: str, since: date, until: date, asked_on: date, today: date) -> None:
        oldest = oldest_readable(today)
        start = max(since, oldest)
        if start > since:
            log.warning(
                "%s: days %s..%s of an owed backfill are older than Zoom keeps reports; they are gone",
                log_type,
                since,
                min(until, oldest - timedelta(days=1)),
            )
        if start <= until and not self._windows(log_type, start, until, self.settings.backfill_passes):
            return  # still moving: owed until a run reads it clean
        # A backfill up to the day it was asked leaves the cursor there: the
        # next poll reads on from it, however long ago that was.
        if until >= asked_on - timedelta(days=self.settings.lookback_days):
            self._advance_cursor(log_type, min(until, today))
        self.ledger.paid(self.scope(log_type), since, until)

    def poll(self) -> None:
        """One follow poll: owed backfills, the recent days, and whatever was missed since the last poll."""
        self.finish_owed()
        today = self.today()
        oldest = oldest_readable(today)
        lookback = timedelta(days=self.settings.lookback_days)
        for log_type in self.settings.log_types:
            self._guarded(log_type, self._poll_one, log_type, today, oldest, lookback)

    def _poll_one(self, log_type: str, today: date, oldest: date, lookback: timedelta) -> None:
        start = today - lookback
        last = self.ledger.last_poll_day(self.scope(log_type))
        if last is not None:
            start = min(start, last - lookback)
        start = max(start, oldest)
        if self._windows(log_type, start, today, self.settings.follow_passes):
            self._advance_cursor(log_type, today)
