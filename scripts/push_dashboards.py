#!/usr/bin/env python3
"""Deploy the pack's dashboards to Datadog: `python scripts/push_dashboards.py [--dry-run]`.

Same interface as push_rules.py. Dashboards are matched by their stable id (kept
at the end of the description, since dashboard tags take only team:<name>) and
updated in place. Reads every page of the org's dashboards (ListDashboards serves
at most 100 at a time). Needs an application key with dashboards_read and
dashboards_write. Exit statuses below.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from contentkit.datadog_api import DatadogClient, DatadogError, add_connection_arguments, errors_text, expect_object
from contentkit.load import DASHBOARD_MARK, ROOT, dashboard_body, load_dashboards
from contentkit.push import plan, show_plan
from contentkit.validate import refuse_invalid

DASHBOARDS = "/api/v1/dashboard"
_MARK = re.compile(re.escape(DASHBOARD_MARK) + r": pack_id:(\S+) version:")


def identify(obj: dict) -> str | None:
    description = obj.get("description")
    match = _MARK.search(description) if isinstance(description, str) else None
    return match.group(1) if match else None


def remote_dashboards(client: DatadogClient) -> list[dict]:
    """The pack's deployed dashboards, in full: every page of the listing (count/start), then
    each of ours fetched (the summaries carry the description that marks them)."""
    summaries = client.pages_by_offset(DASHBOARDS, "dashboards", "listing dashboards", {"filter[shared]": "false"})
    remote = []
    for summary in summaries:
        if identify(summary):
            status, full = client.request("GET", f"{DASHBOARDS}/{summary['id']}")
            if status == 404:  # deleted since the listing
                continue
            if status != 200:
                raise DatadogError(f"reading dashboard {summary['id']} failed: HTTP {status}: {errors_text(full)}")
            remote.append(expect_object(full, f"reading dashboard {summary['id']}", id=str))
    return remote


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    add_connection_arguments(parser)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        with DatadogClient.from_env(args.api_url, timeout=args.timeout, permission="dashboards_write") as client:
            if refuse_invalid(Path(args.root)):  # every check of validate.py before anything is sent
                return 1
            bodies = {d.id: dashboard_body(d) for d in load_dashboards(Path(args.root))}
            actions = plan(bodies, remote_dashboards(client), prune=False, identify=identify)
            writes = show_plan(actions)
            if args.dry_run:
                print(f"dry run: {len(writes)} change(s) not written")
                return 0
            for action in writes:
                if action.kind == "create":
                    status, body = client.request("POST", DASHBOARDS, json=bodies[action.pack_id])
                else:
                    status, body = client.request(
                        "PUT", f"{DASHBOARDS}/{action.remote_id}", json=bodies[action.pack_id]
                    )
                if status >= 300:
                    print(f"error: {action.kind} {action.pack_id}: HTTP {status}: {errors_text(body)}", file=sys.stderr)
                    return 4
            print(f"done: {len(writes)} change(s) written")
            return 0
    except DatadogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
