"""Pipeline simulator throughput: events/s through the whole Zoom pipeline.

    python benchmarks/pipeline.py [--events 200000]

Events are the emulated account's records (both log types, in their natural
mix), shaped as the collector writes them, processed one by one on one core.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import timedelta

from collector.windows import utc_today
from contentkit.event import from_ndjson_line
from contentkit.geoip import GeoIP
from contentkit.load import load_pipelines
from contentkit.processors import compile_pipeline
from emulator import Emulator, EmulatorConfig


def sample_lines(n: int) -> list[dict]:
    lines: list[dict] = []
    with Emulator(EmulatorConfig(seed=1, activity_per_day=1500, operation_per_day=500)) as emu:
        day = utc_today() - timedelta(days=1)
        while len(lines) < n:
            for log_type in ("activity", "operation"):
                for record in emu.truth(log_type, day, day):
                    lines.append({**record, "log_type": log_type, "account": "default", "record_id": "0" * 32})
            day -= timedelta(days=1)
    return lines[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    (pack,) = load_pipelines()
    pipeline = compile_pipeline(pack.definition, geoip=GeoIP.bundled())
    lines = sample_lines(args.events)
    operations = sum(1 for line in lines if line["log_type"] == "operation")
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"events: {len(lines):,} ({operations:,} operation, {len(lines) - operations:,} activity)")
    events = [from_ndjson_line(line) for line in lines]
    started = time.process_time()
    for event in events:
        pipeline.process(event)
    cpu = time.process_time() - started
    print(f"pipeline: {len(events) / cpu:,.0f} events per CPU-second ({cpu:.2f} s CPU)")


if __name__ == "__main__":
    main()
