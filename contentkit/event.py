"""The simulator's log event: a dict shaped like Datadog's log JSON.

Reserved attributes live at the top level under their own names: `message`,
`status`, `service`, `host`, `source`, `timestamp` (milliseconds since the epoch,
set by the date remapper) and `tags` (a list of "key:value" strings, `source:...`
included as Datadog does). Every other key is an attribute; dotted paths address
nested objects (`usr.email` is event["usr"]["email"]), as in Datadog.
"""

from __future__ import annotations

from typing import Any

# The fields of a collector line (a Zoom record plus the collector's own): text when
# present; the pipeline and the rules read them (emulator/dataset.py, the pipeline samples)
ZOOM_FIELDS = (
    "log_type",
    "account",
    "record_id",
    "time",
    "email",
    "type",
    "ip_address",
    "client_type",
    "version",
    "operator",
    "category_type",
    "action",
    "operation_detail",
    # meeting activity (docs/meeting-activity.md)
    "meeting_number",
    "activity_time",
    "operator_email",
    "activity_category",
    "activity_detail",
)

# A report's own time field where it is not `time`: the meeting activity report has
# `activity_time`, "yyyy-MM-dd HH:mm:ss:SSS" in UTC (docs/meeting-activity.md)
TIME_FIELDS = {"meeting_activity": "activity_time"}


def time_field(record: dict) -> str:
    """The field holding a collector line's time: `time`, or its report's own."""
    return TIME_FIELDS.get(str(record.get("log_type")), "time")


RESERVED = ("message", "status", "service", "host", "source", "timestamp", "tags")
_MISSING = object()


def get_path(event: dict, path: str, default: Any = None) -> Any:
    """Value at a dotted path; a literal key containing dots wins over nesting."""
    if path in event:
        return event[path]
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def has_path(event: dict, path: str) -> bool:
    return get_path(event, path, _MISSING) is not _MISSING


def parent_of(event: dict, path: str) -> tuple[dict, str]:
    """(the object holding a dotted path's last key, that key), creating objects on the
    way (a non-object in the way is replaced)."""
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    return node, parts[-1]


def set_path(event: dict, path: str, value: Any) -> None:
    """Set a dotted path, creating objects on the way (a non-object in the way is replaced)."""
    node, last = parent_of(event, path)
    node[last] = value


def delete_path(event: dict, path: str) -> None:
    """Remove a dotted path and any objects it leaves empty."""
    if path in event:
        del event[path]
        return
    parts = path.split(".")
    chain = [event]
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            return
        node = child
        chain.append(node)
    node.pop(parts[-1], None)
    for parent, part in zip(reversed(chain[:-1]), reversed(parts[:-1])):
        if parent.get(part) == {}:
            del parent[part]
        else:
            break


def tag_values(event: dict, key: str) -> list[str]:
    """Values of the `key:value` tags of the event (a bare tag `key` gives '')."""
    out = []
    for tag in event.get("tags") or []:
        k, sep, v = tag.partition(":")
        if k == key:
            out.append(v if sep else "")
    return out


def from_ndjson_line(
    record: dict,
    source: str = "zoom_activity_logs",
    service: str | None = None,
    host: str | None = None,
    tags: list[str] | None = None,
) -> dict:
    """The event Datadog builds from one of the collector's lines shipped as JSON.

    The line's fields become attributes; the shipper sets `source` (and may set
    service/host/tags). There is no `message` field in the line, so the message is
    empty until the pipeline builds one. Status defaults to `info`; a line with its
    own `status` (the collector's health lines) keeps it, as Datadog's default
    preprocessing of JSON logs remaps that reserved attribute.
    """
    event = dict(record)
    event["source"] = source
    own = record.get("status")
    event["status"] = own.lower() if isinstance(own, str) and own else "info"
    event["message"] = ""
    if service:
        event["service"] = service
    if host:
        event["host"] = host
    event["tags"] = [f"source:{source}", *(tags or [])]
    return event
