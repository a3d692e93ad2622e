"""Request budget: the collector against an emulator set to Zoom's Pro limits.

Zoom's Heavy class allows a Pro account 10 report requests per second and 30,000
a day, shared with every other app on the account. The collector paces itself
with --max-rps (default 5). For each budget this runs one backfill and reports
the request rate achieved against the budget and the share of requests Zoom
answered 429. "unpaced" (--max-rps 0) shows what happens without the pacer.

    python benchmarks/budget.py                       # budgets 5 (default), 8, 10, unpaced
    python benchmarks/budget.py --budgets 5 --days 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta

from collector.windows import utc_today

PRO_QPS, PRO_DAILY = 10, 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/emulator/stats", timeout=10) as r:
        return json.load(r)


def run(budget: float, days: int, workdir: str) -> dict:
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
            "3",
            "--activity-per-day",
            "3000",
            "--operation-per-day",
            "600",
            "--qps-limit",
            str(PRO_QPS),
            "--daily-limit",
            str(PRO_DAILY),
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                before = stats(port)
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("emulator did not start") from None
                time.sleep(0.2)
        env = {
            **os.environ,
            "ZOOM_ACCOUNT_ID": "emulator-account",
            "ZOOM_CLIENT_ID": "emulator-client",
            "ZOOM_CLIENT_SECRET": "emulator-secret",
            "ZOOM_API_URL": f"http://127.0.0.1:{port}/v2",
            "ZOOM_OAUTH_TOKEN_URL": f"http://127.0.0.1:{port}/oauth/token",
        }
        since = utc_today() - timedelta(days=days)
        out = os.path.join(workdir, f"out-{budget}.ndjson")
        args = [
            sys.executable,
            "-m",
            "zoom_activity_logs",
            "collect",
            "--since",
            since.isoformat(),
            "--output",
            out,
            "--state",
            os.path.join(workdir, f"s-{budget}.sqlite3"),
            "--max-rps",
            str(budget),
            "--quiet",
        ]
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
        after = stats(port)
        status = {int(k): v - before["status"].get(k, 0) for k, v in after["status"].items()}
        report = after["report_requests"] - before["report_requests"]
        # status counts cover every path (token, stats): only report requests are budgeted,
        # and the emulator answers those 200 or 429 here
        limited = status.get(429, 0)
        ok = report - limited
        return {
            "budget": budget,
            "report_requests": report,
            "answered_200": ok,
            "answered_429": limited,
            "seconds": elapsed,
            "rps": ok / elapsed,
            "share_429": limited / report if report else 0.0,
            "records": sum(1 for _ in open(out, "rb")),
        }
    finally:
        emu.terminate()
        emu.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budgets", type=float, nargs="+", default=[5, 8, 10, 0])
    parser.add_argument("--days", type=int, default=30, help="backfill length (3,600 records a day)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"emulator limits {PRO_QPS}/s, {PRO_DAILY:,}/day (Zoom Pro, Heavy)",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for budget in args.budgets:
            r = run(budget, args.days, workdir)
            results.append(r)
            label = f"--max-rps {budget:g}" if budget else "unpaced   "
            of_budget = f"{r['rps'] / budget:6.1%} of budget" if budget else "            -     "
            print(
                f"{label}  {r['report_requests']:5d} requests in {r['seconds']:6.1f} s  "
                f"{r['rps']:5.2f} successful/s  {of_budget}  429s {r['answered_429']:4d} "
                f"({r['share_429']:.2%})  records {r['records']:,}",
                flush=True,
            )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
