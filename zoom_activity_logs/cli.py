"""`zoom-activity-logs`: the collector's command line (collector.cli: `collect`,
`authorize`) plus what joins it to the rest of the project: `collect --emulated` and
`emulator` (the emulator package), `hunt` and `demo` (the content kit)."""

from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path

from collector import cli as collector_cli


def build_parser() -> argparse.ArgumentParser:
    parser, sub = collector_cli.build_parser()
    collect = sub.choices["collect"]
    collect.add_argument(
        "--emulated",
        action="store_true",
        help="collect from the built-in emulated Zoom account (no credentials needed)",
    )

    d = sub.add_parser("demo", help="see it work: an emulated intrusion collected, normalized and detected locally")
    d.add_argument(
        "--out",
        metavar="DIR",
        default="zoom-activity-logs-demo",
        help="where the raw, normalized and signal files go (default: ./zoom-activity-logs-demo)",
    )

    h = sub.add_parser("hunt", help="replay collected NDJSON through the pipeline and the detection rules, locally")
    h.add_argument("files", nargs="*", metavar="FILE", help="NDJSON written by `collect` ('-' or none: stdin)")
    h.add_argument(
        "--rules",
        action="append",
        metavar="ID",
        help="only these rules (ids or shell globs, comma-separated or repeated; default: all)",
    )
    h.add_argument("--since", metavar="DAY|TIME", help="only records at or after (YYYY-MM-DD or ISO 8601, UTC)")
    h.add_argument("--until", metavar="DAY|TIME", help="only records at or before (a day includes all of it)")
    h.add_argument(
        "--geoip-db",
        metavar="PATH",
        help="MaxMind GeoIP2/GeoLite2 City .mmdb (default: the bundled "
        "table of documentation networks, for the emulator)",
    )
    h.add_argument(
        "--format",
        choices=("auto", "json", "table"),
        default="auto",
        help="JSON lines, or a table (auto: a table when stdout is a terminal)",
    )
    h.add_argument("--events", metavar="FILE", help="also write every normalized event to FILE (NDJSON)")
    h.add_argument(
        "--tuning",
        metavar="FILE",
        help="apply this tuning file's suppression rules, as push_rules.py --tuning deploys them",
    )

    e = sub.add_parser("emulator", help="serve an emulated Zoom account on 127.0.0.1 for testing")
    from emulator.cli import add_arguments

    add_arguments(e)
    return parser


def run_collect(args: argparse.Namespace, stop: threading.Event) -> int:
    from .emulated import emulated_account

    return collector_cli.run_collect(args, stop, emulated=lambda name: emulated_account(name, bool(args.state)))


def run_emulator(args: argparse.Namespace, stop: threading.Event) -> int:
    from emulator.cli import config_from_args, serve_forever

    return serve_forever(config_from_args(args))


def run_hunt(args: argparse.Namespace, stop: threading.Event) -> int:
    from .hunting import run_hunt as hunt

    return hunt(args, stop)


def run_demo(args: argparse.Namespace, stop: threading.Event) -> int:
    from contentkit.hunt import render_table

    from . import demo

    logging.getLogger("zoom-activity-logs").setLevel(logging.WARNING)  # the table is the demo's output
    result = demo.run_demo(Path(args.out), stop)
    story = [
        f
        for f in result.findings
        if f.rule_id in demo.EXPECTED and demo.EXPECTED[f.rule_id] in map(str, f.signal.group.values())
    ]
    others = len(result.findings) - len(story)
    print(f"Collected {result.records:,} records from the emulated account (a month of routine, then an intrusion);")
    print("ran the Datadog pipeline and all detection rules locally. Signals of the intrusion:\n")
    print(render_table(story))
    missed = [rule for rule, ok in result.expected_fired.items() if not ok]
    print(
        f"\n{len(demo.EXPECTED) - len(missed)} of {len(demo.EXPECTED)} expected detections fired"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + (f"; {others} other signals from the background's travellers ({result.signals})" if others else "")
    )
    print(f"\nraw records (as shipped):    {result.raw}")
    print(f"normalized events:           {result.normalized}")
    print(f"signals (JSON lines):        {result.signals}")
    print(f"hunt over them yourself:     zoom-activity-logs hunt {result.raw}")
    return 0 if not missed else 1


def main(argv: list[str] | None = None) -> int:
    return collector_cli.main(
        argv, build_parser(), {"collect": run_collect, "emulator": run_emulator, "hunt": run_hunt, "demo": run_demo}
    )
