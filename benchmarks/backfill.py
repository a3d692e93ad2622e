"""Backfill throughput and memory: the collector against the emulator, no rate limit.

Starts the emulator in its own process, runs `zoom-activity-logs collect --since
<six months ago>` in another, and reports records/s and the collector's peak RSS
for several volumes (to show memory stays flat as volume grows).

    python benchmarks/backfill.py                 # 250k, 500k, 1M records
    python benchmarks/backfill.py --volumes 1000000
    python benchmarks/backfill.py --sink pipe     # stdout a pipe read by `cat` (Vector's exec source)

Output goes to a file on disk (stdout redirected, as a shipper would read it), or
through a pipe to a `cat` writing that file (`--sink pipe`: commits then follow
what the reader took, FIONREAD).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time

from collector.windows import oldest_readable, utc_today

HISTORY_DAYS = 183
# The emulator's meetings leave about this many meeting activity records each
RECORDS_PER_MEETING = 19


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("emulator did not start")


def run(volume: int, workdir: str, sink: str = "file") -> dict:
    per_day = volume / HISTORY_DAYS / 3  # a third for each report
    port = free_port()
    emu = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoom_activity_logs",
            "emulator",
            "--port",
            str(port),
            "--seed",
            "1",
            "--activity-per-day",
            str(per_day),
            "--operation-per-day",
            str(per_day),
            "--meetings-per-day",
            str(per_day / RECORDS_PER_MEETING),
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        env = {
            **os.environ,
            "ZOOM_ACCOUNT_ID": "emulator-account",
            "ZOOM_CLIENT_ID": "emulator-client",
            "ZOOM_CLIENT_SECRET": "emulator-secret",
            "ZOOM_API_URL": f"http://127.0.0.1:{port}/v2",
            "ZOOM_OAUTH_TOKEN_URL": f"http://127.0.0.1:{port}/oauth/token",
        }
        since = oldest_readable(utc_today())
        out_path = os.path.join(workdir, f"out-{volume}.ndjson")
        state = os.path.join(workdir, f"state-{volume}.sqlite3")
        started = time.perf_counter()
        with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
            reader = None
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "zoom_activity_logs",
                    "collect",
                    "--since",
                    since.isoformat(),
                    "--state",
                    state,
                    "--max-rps",
                    "0",
                ],
                stdout=out if sink == "file" else subprocess.PIPE,
                stderr=err,
                env=env,
            )
            if sink == "pipe":
                reader = subprocess.Popen(["cat"], stdin=proc.stdout, stdout=out)
                proc.stdout.close()
            # wait4 gives this child's own rusage: peak RSS of the collector alone
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if reader is not None:
                reader.wait()
        elapsed = time.perf_counter() - started
        stderr = open(out_path + ".err", "rb").read().decode()
        if proc.returncode != 0:
            raise SystemExit(stderr)
        lines = sum(1 for _ in open(out_path, "rb"))
        match = re.search(r"done: (\d+) records read, (\d+) written", stderr)
        return {
            "volume": volume,
            "records": lines,
            "read": int(match.group(1)) if match else None,
            "seconds": elapsed,
            "records_per_s": lines / elapsed,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "collector_cpu_s": usage.ru_utime + usage.ru_stime,
        }
    finally:
        emu.terminate()
        emu.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volumes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument(
        "--sink",
        choices=("file", "pipe"),
        default="file",
        help="stdout redirected to a file (default), or a pipe read by cat",
    )
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as workdir:
        for volume in args.volumes:
            r = run(volume, workdir, args.sink)
            print(
                f"{args.sink}  target {r['volume']:>9,}  written {r['records']:>9,}  {r['seconds']:7.1f} s  "
                f"{r['records_per_s']:>9,.0f} records/s  collector CPU {r['collector_cpu_s']:6.1f} s "
                f"({r['records'] / r['collector_cpu_s']:,.0f} records per CPU-second)  "
                f"peak RSS {r['peak_rss_mb']:.1f} MB"
                f"  reads per record {r['read'] / r['records']:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
