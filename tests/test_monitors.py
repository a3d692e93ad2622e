"""The health monitors in examples/monitors: valid for Datadog's API model, and
their queries match the health lines the collector writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datadog_api_client import Configuration
from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
from datadog_api_client.v1.model.monitor import Monitor

from contentkit.event import from_ndjson_line
from contentkit.search import compile_query

MONITORS = sorted((Path(__file__).parent.parent / "examples" / "monitors").glob("*.json"))


@pytest.mark.parametrize("path", MONITORS, ids=lambda p: p.name)
def test_monitor_passes_the_official_model(path):
    body = json.loads(path.read_text())
    monitor = validate_and_convert_types(body, (Monitor,), ["body"], True, True, Configuration())
    assert not isinstance(monitor, UnparsedObject) and not isinstance(monitor.options, UnparsedObject)
    assert str(monitor.type) == "log alert" and monitor.options.thresholds.critical is not None


def _search(query: str) -> str:
    return query.split('logs("', 1)[1].split('")', 1)[0]


HEALTH_OK = {"log_type": "health", "account": "corp", "status": "ok", "lag_seconds": 12.0, "error_kind": None}
HEALTH_REVOKED = {
    "log_type": "health",
    "account": "corp",
    "status": "error",
    "lag_seconds": 4000.0,
    "error_kind": "AuthError",
    "last_error": "Zoom refused the client credentials",
}


def test_the_revoked_monitor_matches_a_revoked_health_line_only():
    body = json.loads((Path(__file__).parent.parent / "examples/monitors/collector_access_revoked.json").read_text())
    assert '.by("@account")' in body["query"]
    query = compile_query(_search(body["query"]))
    assert query.matches(from_ndjson_line(HEALTH_REVOKED)) and not query.matches(from_ndjson_line(HEALTH_OK))
    assert not query.matches(from_ndjson_line({**HEALTH_REVOKED, "error_kind": "ApiError"}))  # outages page less


def test_the_stopped_monitor_reads_the_lag_the_collector_writes():
    body = json.loads((Path(__file__).parent.parent / "examples/monitors/collector_stopped.json").read_text())
    assert '"@lag_seconds"' in body["query"] and '.by("account")' not in body["query"]
    query = compile_query(_search(body["query"]))
    assert query.matches(from_ndjson_line(HEALTH_OK)) and query.matches(from_ndjson_line(HEALTH_REVOKED))
