"""Command-line hooks: the main CLI's `emulator` sub-command uses these three functions."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .config import DEFAULT_CLIENT_SECRET, PROFILES, EmulatorConfig
from .emulator import Emulator

DEFAULT_PORT = 8787


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = EmulatorConfig()
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    parser.add_argument("--seed", type=int, default=d.seed, help="seed of the generated account")
    parser.add_argument("--users", type=int, default=d.users, help="number of users")
    parser.add_argument(
        "--activity-per-day", type=float, default=d.activity_per_day, help="mean sign-in/sign-out records per UTC day"
    )
    parser.add_argument(
        "--operation-per-day", type=float, default=d.operation_per_day, help="mean operation-log records per UTC day"
    )
    parser.add_argument(
        "--meetings-per-day",
        type=float,
        default=d.meetings_per_day,
        help="mean meetings per UTC day (meeting activity)",
    )
    parser.add_argument(
        "--no-meeting-audit-trail",
        action="store_true",
        help='the account lacks the meeting audit trail: /report/meeting_activities answers 400 "No permission."',
    )
    parser.add_argument("--history-days", type=int, default=d.history_days, help="days of history ending today")
    parser.add_argument(
        "--repeat-rate", type=float, default=d.repeat_rate, help="fraction of records with an exact true repeat"
    )
    parser.add_argument("--qps-limit", type=float, default=None, help="report requests per second (default unlimited)")
    parser.add_argument("--daily-limit", type=int, default=None, help="report requests per UTC day (default unlimited)")
    parser.add_argument(
        "--arrivals-per-request", type=int, default=0, help="new records arriving on every report request"
    )
    parser.add_argument("--token-ttl", type=int, default=d.token_ttl, help="access token lifetime in seconds")
    parser.add_argument(
        "--page-token-ttl", type=float, default=d.page_token_ttl, help="next_page_token lifetime in seconds"
    )
    parser.add_argument("--lowercase-headers", action="store_true", help="send rate-limit header names in lower case")
    parser.add_argument("--no-retry-after", action="store_true", help="omit Retry-After on 429 answers")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=d.profile,
        help="toy: the generated account; realistic: emulator.orgsim's organisation "
        "(--users people over --history-days days, with its attack set)",
    )
    parser.add_argument(
        "--no-attacks", action="store_true", help="with --profile realistic: the benign organisation alone"
    )
    parser.add_argument(
        "--oldest-first",
        action="store_true",
        help="serve report pages oldest first (Zoom does not promise newest first)",
    )


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        port=args.port,
        seed=args.seed,
        users=args.users,
        activity_per_day=args.activity_per_day,
        operation_per_day=args.operation_per_day,
        meetings_per_day=args.meetings_per_day,
        meeting_audit_trail=not args.no_meeting_audit_trail,
        history_days=args.history_days,
        repeat_rate=args.repeat_rate,
        qps_limit=args.qps_limit,
        daily_limit=args.daily_limit,
        arrivals_per_request=args.arrivals_per_request,
        token_ttl=args.token_ttl,
        page_token_ttl=args.page_token_ttl,
        lowercase_headers=args.lowercase_headers,
        retry_after=not args.no_retry_after,
        oldest_first=args.oldest_first,
        profile=args.profile,
        attacks=not args.no_attacks,
    )


def banner(emu: Emulator) -> str:
    cfg = emu.config
    secret = (
        "ZOOM_CLIENT_SECRET is the emulator's documented default 'emulator-secret'"
        if cfg.client_secret == DEFAULT_CLIENT_SECRET
        else "ZOOM_CLIENT_SECRET is the secret you configured"
    )
    return (
        f"Zoom emulator on {emu.base_url} ({cfg.profile} profile, seed {cfg.seed}); use ZOOM_API_URL={emu.api_url} "
        f"ZOOM_OAUTH_TOKEN_URL={emu.token_url} ZOOM_ACCOUNT_ID={cfg.account_id} "
        f"ZOOM_CLIENT_ID={cfg.client_id}; {secret}. Ctrl-C stops it."
    )


def serve_forever(cfg: EmulatorConfig) -> int:
    """Serve until Ctrl-C or SIGTERM; returns the exit status (0)."""
    done = threading.Event()

    def _stop(signum, frame) -> None:
        done.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _stop)
    emu = Emulator(cfg)
    try:
        emu.start()
        print(banner(emu), file=sys.stderr, flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv=None) -> int:
    """Stand-alone entry (python -c 'from emulator.cli import main; main()')."""
    parser = argparse.ArgumentParser(description="Local Zoom report API emulator")
    add_arguments(parser)
    return serve_forever(config_from_args(parser.parse_args(argv)))
