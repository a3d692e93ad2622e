"""Hunt throughput and memory: N collected records through the pipeline and every rule.

Writes N lines of the emulated account (six months, both reports, as `collect`
writes them, newest first per day as Zoom serves them) to a file, then runs
`zoom-activity-logs hunt FILE --format json` in a child process and reports
events/s over wall time and over the child's CPU time, and its peak RSS.

    python benchmarks/hunt.py                      # 1,000,000 events
    python benchmarks/hunt.py --events 200000
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import orjson

from collector.records import record_id
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig

DAYS = 183


def write_lines(path: str, n: int) -> int:
    per_day = n / DAYS
    cfg = EmulatorConfig(
        seed=5, users=400, activity_per_day=per_day * 0.75, operation_per_day=per_day * 0.25, history_days=DAYS
    )
    written = 0
    with Emulator(cfg) as emu, open(path, "wb") as out:
        day = utc_today()
        while written < n and (utc_today() - day).days < DAYS:
            for log_type in ("activity", "operation"):
                chunk = []
                for k, record in enumerate(emu.truth(log_type, day, day)):
                    line = {
                        **record,
                        "log_type": log_type,
                        "account": "bench",
                        "record_id": record_id("bench", log_type, orjson.dumps(record), k),
                    }
                    chunk.append(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
                chunk = chunk[: n - written]
                out.write(b"".join(chunk))
                written += len(chunk)
            day -= timedelta(days=1)
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "collected.ndjson")
        n = write_lines(path, args.events)
        print(f"input: {n:,} lines, {os.path.getsize(path) / 1e6:,.0f} MB", flush=True)
        started = time.perf_counter()
        with open(os.path.join(tmp, "signals.ndjson"), "wb") as out, open(os.path.join(tmp, "err"), "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "zoom_activity_logs", "hunt", path, "--format", "json"], stdout=out, stderr=err
            )
            _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(open(os.path.join(tmp, "err")).read())
        cpu = usage.ru_utime + usage.ru_stime
        signals = sum(1 for _ in open(os.path.join(tmp, "signals.ndjson"), "rb"))
        print(
            f"hunt: {n:,} events in {elapsed:.1f} s = {n / elapsed:,.0f} events/s wall; "
            f"{n / cpu:,.0f} events per CPU-second; peak RSS {usage.ru_maxrss / 1024:.0f} MB; "
            f"{signals:,} signals",
            flush=True,
        )


if __name__ == "__main__":
    main()
