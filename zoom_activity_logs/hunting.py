"""`zoom-activity-logs hunt` (and the demo's last step): content problems, bad flags
and unreadable (gzip, binary) input end with one line and exit 2; output that cannot
be written (--events or stdout: a full disk, a closed pipe) with one line and exit 6;
SIGTERM / Ctrl-C with one line and exit 130. Malformed input lines and repeated
record_ids are counted and skipped, never fatal."""

from __future__ import annotations

import logging
import sys

import orjson

from collector.errors import CollectorError, OutputClosed, UsageError
from contentkit.errors import ContentError

log = logging.getLogger("zoom-activity-logs")


def _geoip(path: str | None):
    if not path:
        return None
    from contentkit.geoip import GeoIP

    try:
        return GeoIP.from_mmdb(path)
    except ContentError as exc:
        raise UsageError(f"--geoip-db: {exc}") from None
    except Exception as exc:  # maxminddb's own errors: a damaged or non-MaxMind file
        raise UsageError(f"--geoip-db: {path}: not a MaxMind database ({type(exc).__name__})") from None


class HuntStopped(UsageError):
    """SIGTERM / Ctrl-C: the run ended without writing signals."""

    exit_code = 130


class _EventsFile:
    """--events: a write that fails (full disk, closed pipe) raises OutputClosed at once."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.file = open(path, "wb")
        except OSError as exc:
            raise UsageError(f"--events: cannot write {path}: {exc.strerror}") from None

    def write(self, event: dict) -> None:
        try:
            self.file.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
        except OSError as exc:
            self._fail(exc)

    def close(self) -> None:
        try:
            self.file.close()
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError):
        try:
            self.file.close()  # marks it closed even when its flush fails again: no noise at exit
        except OSError:
            pass
        raise OutputClosed(f"--events: cannot write {self.path}: {exc.strerror or exc}") from None


def _suppressions(path: str):
    """The tuning file's suppression rules, as push_rules.py deploys them (contentkit.tuning)."""
    from pathlib import Path

    from contentkit.load import load_rules
    from contentkit.tuning import Suppressions

    return Suppressions.from_file(Path(path), [r.id for r in load_rules()])


def hunt_files(
    files, rules=None, since=None, until=None, geoip_db=None, events_path=None, stdin=None, stop=None, tuning=None
):
    """(findings, stats): the library call behind `hunt` and `demo`."""
    from contentkit.hunt import Hunt, Inputs, Stopped, parse_bound

    patterns = [p.strip() for r in (rules or []) for p in r.split(",") if p.strip()]
    try:
        since_ms = parse_bound(since, "--since") if since else None
        until_ms = parse_bound(until, "--until", end_of_day=True) if until else None
        if since_ms is not None and until_ms is not None and since_ms > until_ms:
            raise UsageError(f"--since {since} is later than --until {until}")
        hunt = Hunt(
            patterns,
            geoip=_geoip(geoip_db) if geoip_db else None,
            since_ms=since_ms,
            until_ms=until_ms,
            geoip_path=geoip_db,
            stop=stop,
            suppressions=_suppressions(tuning) if tuning else None,
        )
        with Inputs(files or ["-"], stdin or sys.stdin.buffer, stop=stop) as inputs:
            out = _EventsFile(events_path) if events_path else None
            try:
                findings = hunt.run(inputs.buffers, on_event=out.write if out else None)
            finally:
                if out:
                    out.close()
    except ContentError as exc:
        raise UsageError(str(exc)) from None
    except Stopped as exc:
        raise HuntStopped(str(exc)) from None
    return findings, hunt.stats, len(hunt.rules)


class StdoutClosed(CollectorError):
    """Started with stdout closed (no file descriptor 1): nowhere to write the results."""

    exit_code = OutputClosed.exit_code

    def __init__(self):
        super().__init__("cannot write the results: stdout is closed")


def _write_stdout(data: bytes) -> None:
    """The results on stdout, or OutputClosed (one line, exit 6) when it cannot take them."""
    if sys.stdout is None:  # started with stdout closed
        raise StdoutClosed()
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except (OSError, ValueError) as exc:
        reason = (
            "the reader went away" if isinstance(exc, BrokenPipeError) else getattr(exc, "strerror", None) or str(exc)
        )
        raise OutputClosed(f"cannot write the results to stdout: {reason}") from None


def run_hunt(args, stop=None) -> int:
    from contentkit.hunt import render_table

    if sys.stdout is None:  # say so before the work, not after it
        raise StdoutClosed()
    findings, stats, rules = hunt_files(
        args.files, args.rules, args.since, args.until, args.geoip_db, args.events, stop=stop, tuning=args.tuning
    )
    table = args.format == "table" or (args.format == "auto" and sys.stdout.isatty())
    if table:
        _write_stdout((render_table(findings) + "\n").encode())
    else:
        _write_stdout(b"".join(orjson.dumps(f.as_json(), option=orjson.OPT_APPEND_NEWLINE) for f in findings))
    note = f" (first at {stats.first_malformed})" if stats.malformed else ""
    log.info(
        "%d lines: %d records replayed through %d rules, %d malformed skipped%s, %d repeated record_ids "
        "dropped, %d outside the range or health lines; %d signals",
        stats.lines,
        stats.records,
        rules,
        stats.malformed,
        note,
        stats.duplicates,
        stats.skipped,
        len(findings),
    )
    if stats.malformed:
        log.warning("%d malformed lines skipped (first at %s)", stats.malformed, stats.first_malformed)
    return 0
