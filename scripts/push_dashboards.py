#!/usr/bin/env python3
"""Deploy the pack's dashboards to Datadog: `python scripts/push_dashboards.py [--dry-run]`.

Same interface as push_rules.py. Dashboards are matched by their stable id (kept
at the end of the description, since dashboard tags take only team:<name>) and
updated in place. Needs an application key with dashboards_write.
Exit: 0 ok, 1 content problem, 2 usage, 3 keys refused, 4 API failure.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from contentkit.datadog_api import DatadogClient, DatadogError
from contentkit.load import DASHBOARD_MARK, ROOT, dashboard_body, load_dashboards
from contentkit.push import plan, show_plan
from contentkit.validate import refuse_invalid

DASHBOARDS = "/api/v1/dashboard"
_MARK = re.compile(re.escape(DASHBOARD_MARK) + r": pack_id:(\S+) version:")


def identify(obj: dict) -> str | None:
    match = _MARK.search(obj.get("description") or "")
    return match.group(1) if match else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--api-url", help="Datadog API base URL (default: https://api.$DD_SITE)")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if refuse_invalid(Path(args.root)):  # every check of validate.py before anything is sent
        return 1
    dashboards = load_dashboards(Path(args.root))
    bodies = {d.id: dashboard_body(d) for d in dashboards}
    try:
        with DatadogClient.from_env(args.api_url, permission="dashboards_write") as client:
            status, listing = client.request("GET", DASHBOARDS, params={"filter[shared]": "false"})
            if status != 200 or not isinstance(listing, dict):
                raise DatadogError(f"listing dashboards failed: HTTP {status}")
            remote = []
            for summary in listing.get("dashboards", []):
                if identify(summary):  # the summary has the description; fetch only ours in full
                    status, full = client.request("GET", f"{DASHBOARDS}/{summary['id']}")
                    if status == 200 and isinstance(full, dict):
                        remote.append(full)
            actions = plan(bodies, remote, prune=False, identify=identify)
            writes = show_plan(actions)
            if args.dry_run:
                print(f"dry run: {len(writes)} change(s) not written")
                return 0
            for action in writes:
                if action.kind == "create":
                    status, _ = client.request("POST", DASHBOARDS, json=bodies[action.pack_id])
                else:
                    status, _ = client.request("PUT", f"{DASHBOARDS}/{action.remote_id}", json=bodies[action.pack_id])
                if status >= 300:
                    print(f"error: {action.kind} {action.pack_id}: HTTP {status}", file=sys.stderr)
                    return 4
            print(f"done: {len(writes)} change(s) written")
            return 0
    except DatadogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
