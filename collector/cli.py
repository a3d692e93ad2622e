"""Command line of the collector: `collect` and `authorize`.

The `zoom-activity-logs` command (zoom_activity_logs.cli) adds `demo`, `hunt`,
`emulator` and `collect --emulated` on top of this parser; the collector itself
imports neither the content kit nor the emulator.

Errors a user can cause end with one line on stderr and a documented exit code
(see collector.errors.EXIT_CODES); no traceback.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

from . import __version__
from .config import (
    MEETING_FILTERS,
    AccountConfig,
    account_from_env,
    check_state_paths,
    check_value,
    load_config,
    meeting_filter,
)
from .errors import EXIT_CODES, CollectorError, OutputClosed, UsageError
from .output import Sink
from .records import LOG_TYPES
from .retry import Stopped
from .runner import DEFAULT_RETRIES, MAX_RETRIES, Job, default_state_path, run_accounts
from .windows import parse_day, utc_today

log = logging.getLogger("zoom-activity-logs")

OPERATION_CATEGORIES = (
    "all",
    "user",
    "user_settings",
    "account",
    "billing",
    "im",
    "recording",
    "phone_contacts",
    "webinar",
    "sub_account",
    "role",
    "zoom_rooms",
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


MAX_SECONDS = 86400.0  # a day: longer waits are typos, and huge ones overflow the clock


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 1 <= value <= MAX_SECONDS:
        # nan compares false with everything: a nan interval would poll in a busy loop
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 and {MAX_SECONDS:.0f} seconds")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The parser and its subcommands (the full command adds its own to them)."""
    parser = argparse.ArgumentParser(
        prog="zoom-activity-logs",
        description="Collect Zoom sign-in/sign-out, operation and meeting activity logs exactly once, as NDJSON.",
        epilog="exit codes: " + "; ".join(f"{k} {(v or '').strip().splitlines()[0]}" for k, v in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("collect", help="read Zoom's audit reports and write new records as NDJSON")
    c.add_argument(
        "--config",
        metavar="FILE",
        help="YAML file listing the accounts to collect (see docs/reliability.md); without it, one "
        "Server-to-Server account from ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET",
    )
    c.add_argument(
        "--account", action="append", metavar="NAME", help="with --config: collect only this account (repeatable)"
    )
    c.add_argument(
        "--log-type",
        choices=(*LOG_TYPES, "all"),
        default=None,
        help="which report to read (default: all, or the config file's log_types)",
    )
    c.add_argument("--since", metavar="YYYY-MM-DD", help="backfill from this UTC day (at most six months back)")
    c.add_argument("--until", metavar="YYYY-MM-DD", help="backfill up to this UTC day, inclusive (default: today)")
    c.add_argument("--follow", action="store_true", help="keep polling the recent days every --interval seconds")
    c.add_argument("--interval", type=_seconds, default=None, help="with --follow: seconds between polls (default: 60)")
    c.add_argument(
        "--lookback-days",
        type=_positive_int,
        default=None,
        help="previous UTC days re-read on each poll besides today (default: 1)",
    )
    c.add_argument("--category", choices=OPERATION_CATEGORIES, help="operation logs: only this category_type")
    c.add_argument(
        "--activity-type",
        metavar="TYPE",
        help="meeting activity logs: only this activity_type, a name of Zoom's ('Remote Control', "
        "'User Join', ...; any case) or its code (4, 2, ...); default: All Activities",
    )
    c.add_argument(
        "--meeting-number",
        metavar="NUMBER",
        help="meeting activity logs: only this meeting (digits, spaces allowed: '982 610 0285')",
    )
    c.add_argument("--search-key", metavar="TEXT", help="meeting activity logs: only this operator's name or email")
    c.add_argument(
        "--state", metavar="PATH", help="state file (default: $XDG_STATE_HOME/zoom-activity-logs/<account>.sqlite3)"
    )
    c.add_argument("--output", metavar="FILE", help="append NDJSON to FILE instead of stdout")
    c.add_argument(
        "--max-rps",
        type=_number,
        default=None,
        help="report requests per second at most (default 5: half of Zoom's Pro limit, which all apps "
        "of the account share; 0 = unlimited)",
    )
    c.add_argument(
        "--daily-reserve",
        type=_positive_int,
        default=None,
        help="stop for the day when Zoom's daily cap has this many requests left, for the account's "
        "other apps (default 1000)",
    )
    c.add_argument(
        "--health",
        action="store_true",
        help="after each poll, one `log_type: health` line per account (records emitted, lag, last "
        "error) for a monitor that alerts when collection stops",
    )
    c.add_argument(
        "--retries",
        type=_positive_int,
        default=None,
        help="attempts on 5xx, timeouts and network errors before giving up (default: 6)",
    )
    c.add_argument(
        "--account-name",
        default=None,
        help="name written in each line's `account` field and of the state file (default: "
        "$ZOOM_ACCOUNT_NAME, else default); a config file names its accounts itself",
    )
    verbosity = c.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", action="store_true", help="only warnings and errors on stderr")
    verbosity.add_argument("--verbose", action="store_true", help="debug output on stderr")

    a = sub.add_parser(
        "authorize", help="authorize an authorization-code (General) OAuth app in a browser and store its tokens"
    )
    a.add_argument("--config", metavar="FILE", required=True, help="the YAML config listing the account")
    a.add_argument(
        "--account",
        metavar="NAME",
        help="the account to authorize (default: the only authorization_code account of the config)",
    )
    a.add_argument("--no-browser", action="store_true", help="print the URL only; do not open a browser")
    a.add_argument(
        "--timeout", type=_seconds, default=300.0, help="seconds to wait for the browser's redirect (default: 300)"
    )

    return parser, sub


# `collect --emulated`: given the account's name, a context manager yielding an account
# on a running emulator (the full command supplies it; the collector has no emulator)
EmulatedAccount = Callable[[str], AbstractContextManager[AccountConfig]]


def run_collect(args: argparse.Namespace, stop: threading.Event, emulated: EmulatedAccount | None = None) -> int:
    today = utc_today()
    since = parse_day(args.since, "--since") if args.since else None
    until = parse_day(args.until, "--until") if args.until else None
    if until and not since:
        raise UsageError("--until needs --since")
    if since and until is None:
        until = today
    use_emulator = getattr(args, "emulated", False)
    if use_emulator and emulated is None:
        raise UsageError("--emulated needs the zoom-activity-logs command")
    if args.config and use_emulator:
        raise UsageError("--config and --emulated exclude each other")
    if args.interval is not None and not args.follow:
        raise UsageError("--interval applies to --follow only")
    if args.account and not args.config:
        raise UsageError("--account selects accounts of a --config file; without one, use --account-name")
    if args.account_name is not None and args.config:
        raise UsageError("--account-name applies without --config: the config file names its accounts")
    if args.retries is not None and not 1 <= args.retries <= MAX_RETRIES:
        raise UsageError(f"--retries must be between 1 and {MAX_RETRIES}")
    # the same limits as the config file's fields (its schema holds them)
    for flag, field in (
        ("--max-rps", "max_rps"),
        ("--lookback-days", "lookback_days"),
        ("--daily-reserve", "daily_reserve"),
    ):
        value = getattr(args, field)
        if value is not None:
            check_value(f"collection/properties/{field}", value, flag)
    if not args.config:
        account_name, shown_as = args.account_name, "--account-name"
        if account_name is None:
            account_name, shown_as = os.environ.get("ZOOM_ACCOUNT_NAME", "").strip() or "default", "ZOOM_ACCOUNT_NAME"
        # the name becomes the state file's name: no path may be built from it
        check_value("account/properties/name", account_name, shown_as)

    with ExitStack() as resources:  # the emulator, if any, stops on every way out
        if args.config:
            accounts = load_config(args.config)
            if args.account:
                wanted = set(args.account)
                unknown = wanted - {a.name for a in accounts}
                if unknown:
                    raise UsageError(f"--account: {', '.join(sorted(unknown))} not in {args.config}")
                accounts = [a for a in accounts if a.name in wanted]
            if args.state and len(accounts) > 1:
                raise UsageError("--state names one account's state file; set `state:` per account in the config")
        elif use_emulator and emulated is not None:
            accounts = [resources.enter_context(emulated(account_name))]
        else:
            accounts = [account_from_env(account_name)]

        # command-line flags win over the config file's values
        for acct in accounts:
            if args.state:
                acct.state = Path(args.state)
            if args.log_type:
                acct.log_types = LOG_TYPES if args.log_type == "all" else (args.log_type,)
            if args.category:
                acct.category = args.category
            if args.lookback_days is not None:
                acct.lookback_days = args.lookback_days
            if args.max_rps is not None:
                acct.max_rps = args.max_rps
            if args.daily_reserve is not None:
                acct.daily_reserve = args.daily_reserve
            for field in MEETING_FILTERS:
                value = getattr(args, field)
                if value is not None:
                    setattr(acct, field, meeting_filter(field, value, "--" + field.replace("_", "-")))
            if acct.category and "operation" not in acct.log_types:
                raise UsageError(
                    f"{acct.name}: a category filter applies to operation logs; use --log-type operation or all"
                )
            if any(getattr(acct, f) for f in MEETING_FILTERS) and "meeting_activity" not in acct.log_types:
                raise UsageError(
                    f"{acct.name}: --activity-type, --meeting-number and --search-key apply to meeting "
                    "activity logs; use --log-type meeting_activity or all"
                )

        check_state_paths(accounts, default_state_path)
        job = Job(
            since=since,
            until=until,
            follow=args.follow,
            interval=args.interval or 60.0,
            health=args.health,
            retries=args.retries or DEFAULT_RETRIES,
            keep_going=len(accounts) > 1,
            progress=not args.quiet,
        )
        sink = Sink.file(args.output) if args.output else Sink.stdout()
        try:
            return run_accounts(accounts, sink, job, stop, today)
        finally:
            sink.close()


def run_authorize(args: argparse.Namespace, stop: threading.Event) -> int:
    from .authorize import authorize

    accounts = [a for a in load_config(args.config) if a.auth == "authorization_code"]
    if args.account:
        accounts = [a for a in accounts if a.name == args.account]
        if not accounts:
            raise UsageError(f"--account: no authorization_code account {args.account!r} in {args.config}")
    elif len(accounts) != 1:
        raise UsageError(f"{args.config}: {len(accounts)} authorization_code accounts; name one with --account")
    authorize(accounts[0], open_browser=not args.no_browser, timeout=args.timeout, stop=stop)
    return 0


def _name_the_account(record: logging.LogRecord) -> bool:
    """With many accounts, each line says which one it is about."""
    thread = record.threadName or ""
    if thread.startswith("account:") and not getattr(record, "_named", False):
        record.msg = f"{thread[8:]}: {record.msg}"
        record._named = True
    return True


def _install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C means now
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


Command = Callable[[argparse.Namespace, threading.Event], int]


def main(
    argv: list[str] | None = None,
    parser: argparse.ArgumentParser | None = None,
    commands: dict[str, Command] | None = None,
) -> int:
    """Run a command line: `parser` and `commands` extend the collector's own (the full
    `zoom-activity-logs` command passes its `demo`, `hunt`, `emulator` and `collect`)."""
    args = (parser or build_parser()[0]).parse_args(argv)
    handlers: dict[str, Command] = {"collect": run_collect, "authorize": run_authorize, **(commands or {})}
    level = logging.INFO
    if getattr(args, "quiet", False):
        level = logging.WARNING
    elif getattr(args, "verbose", False):
        level = logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="zoom-activity-logs: %(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_name_the_account)
    for noisy in ("httpx", "httpcore"):  # their INFO/DEBUG lines would print request details
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    _install_signal_handlers(stop)
    try:
        return handlers[args.command](args, stop)
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
