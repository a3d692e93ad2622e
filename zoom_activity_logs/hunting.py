"""`zoom-activity-logs hunt` (and the demo's last step): content problems and bad
flags end with one line and exit 2; malformed input lines are counted, never fatal."""

from __future__ import annotations

import logging
import sys

import orjson

from contentkit.errors import ContentError

from collector.errors import UsageError

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


def hunt_files(files, rules=None, since=None, until=None, geoip_db=None, events_path=None, stdin=None):
    """(findings, stats): the library call behind `hunt` and `demo`."""
    from contentkit.hunt import Hunt, Inputs, parse_bound

    patterns = [p.strip() for r in (rules or []) for p in r.split(",") if p.strip()]
    try:
        since_ms = parse_bound(since, "--since") if since else None
        until_ms = parse_bound(until, "--until", end_of_day=True) if until else None
        hunt = Hunt(patterns, geoip=_geoip(geoip_db) if geoip_db else None, since_ms=since_ms, until_ms=until_ms,
                    geoip_path=geoip_db)
        with Inputs(files or ["-"], stdin or sys.stdin.buffer) as inputs:
            out = open(events_path, "wb") if events_path else None
            try:
                write = (lambda e: out.write(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE))) if out else None
                findings = hunt.run(inputs.buffers, on_event=write)
            finally:
                if out:
                    out.close()
    except ContentError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--events: cannot write {events_path}: {exc.strerror}") from None
    return findings, hunt.stats, len(hunt.compiled)


def run_hunt(args) -> int:
    from contentkit.hunt import render_table

    findings, stats, rules = hunt_files(args.files, args.rules, args.since, args.until, args.geoip_db, args.events)
    table = args.format == "table" or (args.format == "auto" and sys.stdout.isatty())
    if table:
        sys.stdout.write(render_table(findings) + "\n")
    else:
        sys.stdout.buffer.write(b"".join(orjson.dumps(f.as_json(), option=orjson.OPT_APPEND_NEWLINE)
                                         for f in findings))
    sys.stdout.flush()
    note = f" (first at {stats.first_malformed})" if stats.malformed else ""
    log.info("%d lines: %d records replayed through %d rules, %d malformed skipped%s, %d outside the range or "
             "health lines; %d signals", stats.lines, stats.records, rules, stats.malformed, note, stats.skipped,
             len(findings))
    if stats.malformed:
        log.warning("%d malformed lines skipped (first at %s)", stats.malformed, stats.first_malformed)
    return 0
