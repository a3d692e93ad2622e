#!/usr/bin/env python3
"""Deploy the pack's log pipelines to Datadog: `python scripts/push_pipelines.py [--dry-run]`.

Same interface as push_rules.py. Pipelines are matched by their stable id (tag
pack_id:<id>) and updated in place; a deployed pipeline whose version is newer
than the repository's is refused unless --force; the account's pipeline order is
left alone unless --order (which moves the pack's pipelines to the top). Writing
pipelines needs an application key with logs_write_pipelines (an admin's key).
Exit statuses below (1 also for a refused downgrade).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contentkit.datadog_api import (
    DatadogClient,
    DatadogError,
    add_connection_arguments,
    errors_text,
    expect_list,
    expect_object,
)
from contentkit.load import ROOT, load_pipelines, pipeline_body
from contentkit.push import plan, tag_value
from contentkit.validate import refuse_invalid

PIPELINES = "/api/v1/logs/config/pipelines"  # ListLogsPipelines answers the whole list: no paging
ORDER = "/api/v1/logs/config/pipeline-order"


def _version(v) -> tuple:
    try:
        return tuple(int(x) for x in str(v).split("."))
    except ValueError:
        return (0,)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--force", action="store_true", help="replace a deployed pipeline even if its version is newer")
    parser.add_argument(
        "--order", action="store_true", help="move the pack's pipelines to the top of the pipeline order"
    )
    add_connection_arguments(parser)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        with DatadogClient.from_env(
            args.api_url, timeout=args.timeout, permission="logs_write_pipelines (an admin application key)"
        ) as client:
            if refuse_invalid(Path(args.root)):  # every check of validate.py before anything is sent
                return 1
            return push(client, args, {pack.id: pipeline_body(pack) for pack in load_pipelines(Path(args.root))})
    except DatadogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def push(client: DatadogClient, args, bodies: dict) -> int:
    remote = expect_list(client.get(PIPELINES, what="listing pipelines"), "listing pipelines")
    actions = plan(bodies, remote, prune=False)
    by_id = {r["id"]: r for r in remote}
    for action in actions:
        action.show()
        if action.kind == "update":
            deployed = tag_value(by_id[action.remote_id].get("tags"), "version")
            local = tag_value(bodies[action.pack_id]["tags"], "version")
            if _version(deployed) > _version(local) and not args.force:
                print(
                    f"error: {action.pack_id}: the deployed version {deployed} is newer than the repository's "
                    f"{local}; pass --force to replace it",
                    file=sys.stderr,
                )
                return 1
    writes = [a for a in actions if a.kind != "unchanged"]
    if args.dry_run:
        print(f"dry run: {len(writes)} change(s) not written" + (" (and the pipeline order)" if args.order else ""))
        return 0
    ids = {}
    for action in actions:
        ids[action.pack_id] = action.remote_id
        if action.kind == "create":
            status, body = client.request("POST", PIPELINES, json=bodies[action.pack_id])
            if status < 300:
                ids[action.pack_id] = expect_object(body, f"creating {action.pack_id}", id=str)["id"]
        elif action.kind == "update":
            status, body = client.request("PUT", f"{PIPELINES}/{action.remote_id}", json=bodies[action.pack_id])
        else:
            continue
        if status >= 300:
            print(f"error: {action.kind} {action.pack_id}: HTTP {status}: {errors_text(body)}", file=sys.stderr)
            return 4
    if args.order:
        order = expect_object(client.get(ORDER, what="reading the pipeline order"), "pipeline order", pipeline_ids=list)
        current = order["pipeline_ids"]
        ours = [i for i in ids.values() if i]
        wanted = ours + [i for i in current if i not in ours]
        if wanted != current:
            status, body = client.request("PUT", ORDER, json={"pipeline_ids": wanted})
            if status >= 300:
                print(f"error: pipeline order: HTTP {status}: {errors_text(body)}", file=sys.stderr)
                return 4
            print("order: the pack's pipelines moved to the top")
    print(f"done: {len(writes)} change(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
