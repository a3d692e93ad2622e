"""Command line: `zoom-activity-logs collect | emulator`.

Errors a user can cause end with one line on stderr and a documented exit code
(see collector.errors.EXIT_CODES); no traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

import httpx

from . import __version__
from .auth import ServerToServerAuth
from .client import ZoomClient
from .collect import Collector, Settings
from .errors import EXIT_CODES, CollectorError, OutputClosed, UsageError
from .ledger import Ledger
from .output import Sink
from .records import LOG_TYPES
from .retry import Stopped, Waiter
from .windows import parse_day, utc_today

log = logging.getLogger("zoom-activity-logs")

DEFAULT_TOKEN_URL = "https://zoom.us/oauth/token"
DEFAULT_API_URL = "https://api.zoom.us/v2"
OPERATION_CATEGORIES = (
    "all", "user", "user_settings", "account", "billing", "im", "recording",
    "phone_contacts", "webinar", "sub_account", "role", "zoom_rooms",
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1 second")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoom-activity-logs",
        description="Collect Zoom sign-in/sign-out and operation logs exactly once, as NDJSON.",
        epilog="exit codes: " + "; ".join(f"{k} {v.strip().splitlines()[0]}" for k, v in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("collect", help="read Zoom's audit reports and write new records as NDJSON")
    c.add_argument("--log-type", choices=("activity", "operation", "all"), default="all",
                   help="which report to read (default: all)")
    c.add_argument("--since", metavar="YYYY-MM-DD", help="backfill from this UTC day (at most six months back)")
    c.add_argument("--until", metavar="YYYY-MM-DD", help="backfill up to this UTC day, inclusive (default: today)")
    c.add_argument("--follow", action="store_true", help="keep polling the recent days every --interval seconds")
    c.add_argument("--interval", type=_interval, default=60.0, help="seconds between follow polls (default: 60)")
    c.add_argument("--lookback-days", type=_positive_int, default=1,
                   help="previous UTC days re-read on each poll besides today (default: 1)")
    c.add_argument("--category", choices=OPERATION_CATEGORIES, help="operation logs: only this category_type")
    c.add_argument("--state", metavar="PATH", help="state file (default: $XDG_STATE_HOME/zoom-activity-logs/<account>.sqlite3)")
    c.add_argument("--output", metavar="FILE", help="append NDJSON to FILE instead of stdout")
    c.add_argument("--max-rps", type=float, default=5.0,
                   help="report requests per second at most (default 5: half of Zoom's Pro limit, which all apps "
                        "of the account share; 0 = unlimited)")
    c.add_argument("--daily-reserve", type=_positive_int, default=1000,
                   help="stop for the day when Zoom's daily cap has this many requests left, for the account's "
                        "other apps (default 1000)")
    c.add_argument("--retries", type=_positive_int, default=6,
                   help="attempts on 5xx, timeouts and network errors before giving up (default: 6)")
    c.add_argument("--account-name", default=os.environ.get("ZOOM_ACCOUNT_NAME", "default"),
                   help="name written in each line's `account` field (default: default)")
    c.add_argument("--emulated", action="store_true",
                   help="collect from the built-in emulated Zoom account (no credentials needed)")
    verbosity = c.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", action="store_true", help="only warnings and errors on stderr")
    verbosity.add_argument("--verbose", action="store_true", help="debug output on stderr")

    e = sub.add_parser("emulator", help="serve an emulated Zoom account on 127.0.0.1 for testing")
    from .emulator.cli import add_arguments

    add_arguments(e)
    return parser


def default_state_path(account: str) -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "zoom-activity-logs" / f"{account}.sqlite3"


def _credentials() -> tuple[str, str, str, str, str]:
    env = os.environ
    missing = [n for n in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET") if not env.get(n, "").strip()]
    if missing:
        raise UsageError(
            f"{', '.join(missing)} not set: export the Server-to-Server OAuth app's credentials "
            "(or use --emulated to try the built-in emulated account)"
        )
    return (
        env["ZOOM_ACCOUNT_ID"].strip(),
        env["ZOOM_CLIENT_ID"].strip(),
        env["ZOOM_CLIENT_SECRET"].strip(),
        env.get("ZOOM_OAUTH_TOKEN_URL", "").strip() or DEFAULT_TOKEN_URL,
        env.get("ZOOM_API_URL", "").strip() or DEFAULT_API_URL,
    )


def _check_url(name: str, url: str) -> None:
    try:
        parsed = httpx.URL(url)
    except Exception:
        raise UsageError(f"{name}: {url!r} is not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"{name}: {url!r} is not an http(s) URL")


def run_collect(args: argparse.Namespace, stop: threading.Event) -> int:
    today = utc_today()
    since = parse_day(args.since, "--since") if args.since else None
    until = parse_day(args.until, "--until") if args.until else None
    if until and not since:
        raise UsageError("--until needs --since")
    if since and until is None:
        until = today
    log_types = LOG_TYPES if args.log_type == "all" else (args.log_type,)
    if args.category and "operation" not in log_types:
        raise UsageError("--category applies to operation logs; use --log-type operation or all")

    emulator = None
    state_path = Path(args.state) if args.state else None
    tmpdir = None
    if args.emulated:
        from .emulator import Emulator, EmulatorConfig

        emulator = Emulator(EmulatorConfig())
        emulator.start()
        cfg = emulator.config
        account_id, client_id, secret = cfg.account_id, cfg.client_id, cfg.client_secret
        token_url, api_url = emulator.token_url, emulator.api_url
        if state_path is None:
            tmpdir = tempfile.TemporaryDirectory(prefix="zoom-activity-logs-")
            state_path = Path(tmpdir.name) / "emulated.sqlite3"
            log.info("emulated account: state kept in a temporary file; pass --state to keep it between runs")
    else:
        account_id, client_id, secret, token_url, api_url = _credentials()
    _check_url("ZOOM_OAUTH_TOKEN_URL", token_url)
    _check_url("ZOOM_API_URL", api_url)
    state_path = state_path or default_state_path(args.account_name)

    sink = Sink.file(args.output) if args.output else Sink.stdout()
    waiter = Waiter(stop)
    ledger = Ledger(state_path, args.account_name, today)
    timeout = httpx.Timeout(60.0, connect=10.0)
    try:
        with httpx.Client(timeout=timeout, headers={"User-Agent": f"zoom-activity-logs/{__version__}"}) as http:
            attempts = max(1, args.retries)
            auth = ServerToServerAuth(http, token_url, account_id, client_id, secret, waiter, attempts=attempts)
            if args.max_rps < 0:
                raise UsageError("--max-rps must not be negative")
            client = ZoomClient(http, api_url, auth, waiter, attempts=attempts, max_rps=args.max_rps or None,
                                daily_reserve=args.daily_reserve)
            settings = Settings(account=args.account_name, log_types=log_types, category=args.category,
                                lookback_days=args.lookback_days)
            collector = Collector(client, ledger, sink, settings, waiter)
            if since:
                collector.backfill(since, until)
            if args.follow:
                collector.follow(args.interval)
            elif not since:
                collector.poll()
            log.info("done: %d records read, %d written", collector.stats.read, collector.stats.written)
    finally:
        ledger.close()
        sink.close()
        if emulator:
            emulator.stop()
        if tmpdir:
            tmpdir.cleanup()
    return 0


def _install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C means now
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.INFO
    if getattr(args, "quiet", False):
        level = logging.WARNING
    elif getattr(args, "verbose", False):
        level = logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="zoom-activity-logs: %(levelname)s: %(message)s")
    for noisy in ("httpx", "httpcore"):  # their INFO/DEBUG lines would print request details
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    _install_signal_handlers(stop)
    try:
        if args.command == "emulator":
            from .emulator.cli import config_from_args, serve_forever

            serve_forever(config_from_args(args))
            return 0
        return run_collect(args, stop)
    except Stopped as exc:
        log.warning("%s", exc)
        return exc.exit_code
    except KeyboardInterrupt:
        log.warning("interrupted")
        return 130
    except CollectorError as exc:
        log.error("%s", exc)
        if isinstance(exc, OutputClosed):
            # stdout is gone: keep Python's exit-time flush from printing a traceback
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
