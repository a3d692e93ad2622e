"""Run the collection job for one or many accounts.

Each account has its own HTTP client, token, request budget, state file and
thread; they share the output, whose writes are atomic per batch. One account
failing never stops the others: in follow mode a failed account keeps retrying
at each poll and says so in its health lines; in a one-shot run the process
exits with the first failed account's code once the others are done.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import orjson

from . import __version__
from .auth import AuthorizationCodeAuth, ServerToServerAuth
from .client import ZoomClient
from .collect import Collector, Settings
from .config import AccountConfig, check_value
from .errors import ApiError, CollectorError, OutputClosed
from .ledger import Ledger
from .output import Sink
from .retry import Stopped, Waiter
from .tokenstore import TokenStore, default_token_path, state_dir

log = logging.getLogger("zoom-activity-logs")

LAST_SUCCESS = "last_success"
DEFAULT_RETRIES = 6
MAX_RETRIES = 100


@dataclass
class Job:
    since: date | None = None
    until: date | None = None
    follow: bool = False
    interval: float = 60.0
    health: bool = False
    retries: int = DEFAULT_RETRIES
    keep_going: bool = False  # many accounts: an account's failure is reported, not fatal
    progress: bool = False  # a progress bar during backfills (when stderr is a terminal)


def default_state_path(account: str) -> Path:
    return state_dir() / f"{account}.sqlite3"


def build_auth(acct: AccountConfig, http: httpx.Client, waiter: Waiter, attempts: int, crash_hook=None):
    if acct.auth == "authorization_code":
        store = TokenStore(acct.token_file or default_token_path(acct.name))
        return AuthorizationCodeAuth(
            http,
            acct.token_url,
            acct.client_id,
            acct.client_secret,
            store,
            waiter,
            attempts=attempts,
            crash_hook=crash_hook,
            names=acct.names,
        )
    return ServerToServerAuth(
        http,
        acct.token_url,
        acct.account_id or "",
        acct.client_id,
        acct.client_secret,
        waiter,
        attempts=attempts,
        names=acct.names,
    )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class AccountRunner:
    def __init__(self, acct: AccountConfig, sink: Sink, job: Job, stop: threading.Event, today: date, crash_hook=None):
        self.acct = acct
        self.sink = sink
        self.job = job
        self.waiter = Waiter(stop)
        self.today = today
        self.crash_hook = crash_hook
        self.started = time.time()
        self.emitted_total = 0
        self._emitted_at_last_health = 0

    # -- health -----------------------------------------------------------------------
    def _health(self, collector: Collector, ledger: Ledger, error: Exception | None) -> None:
        now = time.time()
        if error is None:
            ledger.set_meta(LAST_SUCCESS, repr(now))  # the poll completed, for every report Zoom serves
            error = collector.refusal()  # a report Zoom refuses is the line's error until it is served
        last = ledger.get_meta(LAST_SUCCESS)
        last_ok = float(last) if last else None
        written = collector.stats.written
        client = collector.client
        line = {
            "log_type": "health",
            "account": self.acct.name,
            "time": _iso(now),
            "status": "error" if error else "ok",
            "records_emitted": written - self._emitted_at_last_health,
            "records_emitted_total": written,
            # how far collection is behind now: since the last poll that completed
            # (persisted, so a restart or a long outage still shows the real lag)
            "lag_seconds": round(now - last_ok, 1) if last_ok else round(now - self.started, 1),
            "last_success": _iso(last_ok) if last_ok else None,
            "last_error": str(error) if error else None,
            "error_kind": type(error).__name__ if error else None,
            "requests": client.requests,
            "rate_limited": client.rate_limited,
            "retried": client.retried,
            "daily_remaining": client.daily_remaining,
            "collector_version": __version__,
        }
        self._emitted_at_last_health = written
        if self.job.health:
            self.sink.write_batch([orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)])

    # -- the job ----------------------------------------------------------------------
    def run(self) -> None:
        acct, job = self.acct, self.job
        check_value("url", acct.api_url, acct.names.get("api_url", f"{acct.name}: api_url"))
        check_value("url", acct.token_url, acct.names.get("token_url", f"{acct.name}: token URL"))
        ledger = Ledger(acct.state or default_state_path(acct.name), acct.name, self.today)
        timeout = httpx.Timeout(60.0, connect=10.0)
        try:
            with httpx.Client(timeout=timeout, headers={"User-Agent": f"zoom-activity-logs/{__version__}"}) as http:
                attempts = max(1, job.retries)
                auth = build_auth(acct, http, self.waiter, attempts, self.crash_hook)
                client = ZoomClient(
                    http,
                    acct.api_url,
                    auth,
                    self.waiter,
                    attempts=attempts,
                    max_rps=acct.max_rps or None,
                    daily_reserve=acct.daily_reserve,
                )
                settings = Settings(
                    account=acct.name,
                    log_types=acct.log_types,
                    category=acct.category,
                    activity_type=acct.activity_type,
                    meeting_number=acct.meeting_number,
                    search_key=acct.search_key,
                    lookback_days=acct.lookback_days,
                )
                collector = Collector(client, ledger, self.sink, settings, self.waiter)
                try:
                    self._job(collector, ledger)
                finally:
                    collector.finish()  # a stop or an error still commits what the reader took
                log.info("done: %d records read, %d written", collector.stats.read, collector.stats.written)
        finally:
            ledger.close()

    def _step(self, collector: Collector, ledger: Ledger, action, tolerate) -> None:
        try:
            action()
        except (OutputClosed, Stopped):
            raise
        except tolerate as exc:
            log.error("%s; retrying at the next poll", exc)
            self._health(collector, ledger, exc)
            return
        except CollectorError as exc:
            self._health(collector, ledger, exc)
            raise
        self._health(collector, ledger, None)

    def _job(self, collector: Collector, ledger: Ledger) -> None:
        job = self.job
        # An outage must not end a collector meant to run for months; with many
        # accounts, neither may one account's revoked credentials.
        tolerate = (CollectorError,) if job.keep_going else (ApiError,)
        tolerate_now = tolerate if job.follow else ()
        if job.since:
            since, until = job.since, job.until or job.since
            with _progress_bar(job, collector):
                self._step(collector, ledger, lambda: collector.backfill(since, until), tolerate_now)
        if not job.follow:
            if not job.since:
                self._step(collector, ledger, collector.poll, ())
            # the other reports are done and committed: a refused one still fails the run (exit 4)
            collector.check_refused()
            return
        while True:
            began = time.monotonic()
            self._step(collector, ledger, collector.poll, tolerate)
            self.waiter.sleep(max(0.0, job.interval - (time.monotonic() - began)))


class _ThroughBars:
    """A stream for the log handler while bars are shown: each line is written
    above the bars (tqdm.write) instead of over them, which left stale bars behind."""

    def write(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text, file=sys.stderr, end="")

    def flush(self) -> None:
        sys.stderr.flush()


_bar_rows = itertools.count()  # accounts collected in parallel each get their own rows


@contextmanager
def _progress_bar(job: Job, collector: Collector):
    """Bars on stderr during a backfill when stderr is a terminal (and not --quiet): one
    per report, with its days and records; quiet otherwise."""
    if not job.progress or not sys.stderr.isatty() or job.since is None or job.until is None:
        yield None
        return
    from tqdm import tqdm

    size = shutil.get_terminal_size((100, 20))  # a pty of size 0 (CI, script) gets a usable size
    days = (job.until - job.since).days + 1
    bars = {
        t: tqdm(
            total=days,
            unit="day",
            desc=f"{collector.settings.account} {t}",
            file=sys.stderr,
            leave=True,
            ncols=size.columns,
            nrows=size.lines,
            position=next(_bar_rows),
        )
        for t in collector.settings.log_types
    }

    def advance(log_type: str, done: int) -> None:
        bar = bars.get(log_type)
        if bar is not None:
            bar.update(min(done, bar.total - bar.n))  # owed backfills of earlier runs are not in the total
            bar.set_postfix(records=collector.stats.by_type.get(log_type, 0), refresh=False)

    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stderr
    ]
    streams = [h.setStream(_ThroughBars()) for h in handlers]  # type: ignore[arg-type]
    collector.progress = advance
    try:
        yield bars
    finally:
        collector.progress = lambda log_type, done: None
        for bar in bars.values():
            bar.close()
        for handler, stream in zip(handlers, streams):
            handler.setStream(stream)


def run_accounts(
    accounts: list[AccountConfig], sink: Sink, job: Job, stop: threading.Event, today: date, crash_hook=None
) -> int:
    """Collect every account; the exit code of the first account that failed, else 0."""
    if len(accounts) == 1:
        AccountRunner(accounts[0], sink, job, stop, today, crash_hook).run()
        return 0
    codes: dict[str, int] = {}

    def work(acct: AccountConfig) -> None:
        try:
            AccountRunner(acct, sink, job, stop, today, crash_hook).run()
            codes[acct.name] = 0
        except OutputClosed as exc:
            log.error("%s", exc)
            codes[acct.name] = exc.exit_code
            stop.set()  # nobody reads any more: every account stops at its last delivered batch
        except Stopped:
            codes[acct.name] = 130
        except CollectorError as exc:
            log.error("%s", exc)
            codes[acct.name] = exc.exit_code

    threads = [threading.Thread(target=work, args=(a,), name=f"account:{a.name}", daemon=True) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)  # keep the main thread free for signals
    for acct in accounts:
        code = codes.get(acct.name, 1)
        if code:
            if code == 130:
                raise Stopped()
            return code
    return 0
